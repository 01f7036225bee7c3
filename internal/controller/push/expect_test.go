package push

import (
	"context"
	"fmt"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// versionWitness passes every call to the fake Vault and notes each
// WriteOwned whose Expect.Version is not a version WriteOwned returned to
// that owner there: vault.KV.WriteOwned trusts Expect.Version as proof that
// the owner wrote that version (its check-and-set fast path checks no
// owner), which the fake does not model.
type versionWitness struct {
	vault.KVStore
	mu        sync.Mutex
	written   map[string]int // by owner UID and location
	unfounded []string
}

func (w *versionWitness) WriteOwned(ctx context.Context, loc vault.Location, data map[string]any, owner vault.Owner, exp vault.Expect) (int, error) {
	w.mu.Lock()
	key := owner.UID + " " + loc.String()
	if exp.Version > 0 && exp.Version != w.written[key] {
		w.unfounded = append(w.unfounded, fmt.Sprintf("%s at %s expects version %d, wrote %d", owner.Name, loc, exp.Version, w.written[key]))
	}
	w.mu.Unlock()
	v, err := w.KVStore.WriteOwned(ctx, loc, data, owner, exp)
	if err == nil {
		w.mu.Lock()
		w.written[key] = v
		w.mu.Unlock()
	}
	return v, err
}

func TestARetriedWriteExpectsOnlyAVersionItWrote(t *testing.T) {
	t.Skip("BUG: recordIntent records Versions[loc] = recorded+1 before writing, and a sync after a failed write passes " +
		"that record's Expect{Recorded: true, Version: 1} to WriteOwned for a version this Deployment never wrote; " +
		"the real client's check-and-set at 1 then overwrites another Deployment's secret (see " +
		"internal/vault/contract_expect_test.go). The fake checks the owner on every write, so only this witness shows it.")
	w := newWorld(t, secret("db", "user", "u"),
		deployment("web", pathAnn("secret/data/shared"), "db"), deployment("api", pathAnn("secret/data/shared"), "db"))
	witness := &versionWitness{KVStore: w.vault, written: map[string]int{}}
	w.r.Vault = func(*appsv1.Deployment) vault.KVStore { return witness }
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // api's first sync and its retry: both refused
		if _, err := w.reconcile("api"); !vault.IsCategory(err, vault.CategoryConflict) {
			t.Fatalf("api's sync = %v, want the path conflict", err)
		}
	}
	if len(witness.unfounded) > 0 {
		t.Fatalf("writes expecting versions they did not write: %v", witness.unfounded)
	}
}
