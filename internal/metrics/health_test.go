package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func TestVaultUpFollowsTheLastAnswer(t *testing.T) {
	cases := []struct {
		name string
		code int
		want float64
	}{
		{"should be up when Vault answers", 200, 1},
		{"should be down when Vault does not answer", 0, 0},
		{"should stay up on a refusal (Vault answered)", 403, 1},
		{"should be down when Vault is sealed or standby", 503, 0},
		{"should stay up on a missing secret", 404, 1},
		{"should be down on a server error", 500, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			VaultObserver{}.Request(vault.KindRead, tc.code)
			if got := testutil.ToFloat64(VaultUp); got != tc.want {
				t.Fatalf("vault_up after a %d = %v, want %v", tc.code, got, tc.want)
			}
		})
	}
}

func TestRolloutQueuedCountsFromTheFirstQueueing(t *testing.T) {
	t.Cleanup(func() { forgetRollout("team", "web") })
	SetRolloutQueued("team", "web", true)
	if got := series(t, rollouts)["team/web"]; got < 0 || got > 1 {
		t.Fatalf("queued for %vs just after queueing, want about 0", got)
	}
	// Queued 30s ago: queueing again keeps the first time.
	rollouts.update("team", "web", func(since time.Time, _ bool) (time.Time, bool) { return since.Add(-30 * time.Second), true })
	SetRolloutQueued("team", "web", true)
	if got := series(t, rollouts)["team/web"]; got < 30 || got > 31 {
		t.Fatalf("queued for %vs, want about 30s (from the first queueing)", got)
	}
	SetRolloutQueued("team", "web", false)
	if got, ok := series(t, rollouts)["team/web"]; !ok || got != 0 {
		t.Fatalf("after the rollout started: %v (series kept: %v), want 0", got, ok)
	}
	SetRolloutQueued("team", "web", true)
	if got := series(t, rollouts)["team/web"]; got > 1 {
		t.Fatalf("queued again for %vs, want a new wait from about 0", got)
	}
}
