package metrics

import (
	"sync"
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

// rolloutQueue reports, at scrape time, how long each VaultApp's rollout
// has waited for its turn (--max-rollouts-per-second); 0 when none waits.
type rolloutQueue struct {
	mu    sync.Mutex
	since map[[2]string]time.Time
}

var (
	rolloutQueuedDesc = prometheus.NewDesc(ns+"_vaultapp_rollout_queued_seconds",
		"How long a VaultApp's rollout of new secret data has waited for its turn (--max-rollouts-per-second); 0 when none waits.",
		[]string{"namespace", "vaultapp"}, nil)
	rollouts = &rolloutQueue{since: map[[2]string]time.Time{}}
)

func (c *rolloutQueue) Describe(ch chan<- *prometheus.Desc) { ch <- rolloutQueuedDesc }

func (c *rolloutQueue) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for k, t := range c.since {
		v := 0.0
		if !t.IsZero() {
			v = now.Sub(t).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(rolloutQueuedDesc, prometheus.GaugeValue, v, k[0], k[1])
	}
}

// SetRolloutQueued records whether a VaultApp's rollout waits (the wait
// counts from the first time it was queued).
func SetRolloutQueued(namespace, name string, queued bool) {
	rollouts.mu.Lock()
	defer rollouts.mu.Unlock()
	k := [2]string{namespace, name}
	switch {
	case !queued:
		rollouts.since[k] = time.Time{}
	case rollouts.since[k].IsZero():
		rollouts.since[k] = time.Now()
	}
}

// forgetRollout drops a deleted VaultApp's series.
func forgetRollout(namespace, name string) {
	rollouts.mu.Lock()
	defer rollouts.mu.Unlock()
	delete(rollouts.since, [2]string{namespace, name})
}

func init() {
	ctrlmetrics.Registry.MustRegister(VaultUp, VaultAppRefreshInterval, rollouts)
}
