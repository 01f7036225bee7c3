package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// VaultUp is 1 while Vault answers the operator's requests (anything but a
// missing answer or a 5xx: 503 is sealed or standby) and 0 otherwise; set
// from the requests the operator makes anyway (no request of its own).
var VaultUp = prometheus.NewGauge(prometheus.GaugeOpts{
	Namespace: ns, Name: "vault_up",
	Help: "1 when Vault answered the operator's last request (no 5xx; 503 means sealed or standby), 0 when it did not answer or failed.",
})

// VaultAppRefreshInterval is each VaultApp's refresh interval, so that a
// staleness alert follows spec.vault.refreshInterval.
var VaultAppRefreshInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Namespace: ns, Name: "vaultapp_refresh_interval_seconds",
	Help: "Each VaultApp's refresh interval (spec.vault.refreshInterval, or --vaultapp-refresh-interval).",
}, []string{"namespace", "vaultapp"})

// rollouts reports, at scrape time, how long each VaultApp's rollout has
// waited for its turn (--max-rollouts-per-second); 0 when none waits.
var rollouts = newClockGauge("vaultapp_rollout_queued_seconds",
	"How long a VaultApp's rollout of new secret data has waited for its turn (--max-rollouts-per-second); 0 when none waits.",
	func(t, now time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return now.Sub(t).Seconds()
	})

// SetRolloutQueued records whether a VaultApp's rollout waits (the wait
// counts from the first time it was queued).
func SetRolloutQueued(namespace, name string, queued bool) {
	rollouts.update(namespace, name, func(since time.Time, _ bool) (time.Time, bool) {
		switch {
		case !queued:
			return time.Time{}, true
		case since.IsZero():
			return time.Now(), true
		}
		return since, true
	})
}

// forgetRollout drops a deleted VaultApp's series.
func forgetRollout(namespace, name string) {
	rollouts.update(namespace, name, func(time.Time, bool) (time.Time, bool) { return time.Time{}, false })
}

func init() {
	ctrlmetrics.Registry.MustRegister(VaultUp, VaultAppRefreshInterval, rollouts)
}
