package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Dynamic secrets (VaultApp leases and certificates).
var (
	LeasesActive = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: ns, Name: "vaultapp_leases_active",
		Help: "Dynamic secrets (Vault leases and certificates) whose values are in a VaultApp's Secret.",
	}, []string{"namespace", "vaultapp"})
	LeaseRenewals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "lease_renewals_total",
		Help: "Lease renewals, by result (success, capped: Vault granted less than asked because the max TTL is near, or the error category).",
	}, []string{"result"})
	LeaseReissues = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "lease_reissues_total",
		Help: "New credentials issued in place of existing ones, by reason (expiring, lost, spec_changed, missing_values) and result (success or the error category).",
	}, []string{"reason", "result"})
	LeaseRevocations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "lease_revocations_total",
		Help: "Lease revocations (replaced credentials after their grace period, and deleted VaultApps), by result.",
	}, []string{"result"})
)

// leaseExpiry reports, at scrape time, the seconds until each VaultApp's
// nearest credential expiry, so an alert can fire before credentials die
// (vault_sync_operator_vaultapp_lease_expiry_seconds < 300).
type leaseExpiry struct {
	mu sync.Mutex
	at map[[2]string]time.Time
}

var (
	leaseExpiryDesc = prometheus.NewDesc(ns+"_vaultapp_lease_expiry_seconds",
		"Seconds until the nearest expiry of a VaultApp's dynamic credentials (lease end or certificate notAfter).",
		[]string{"namespace", "vaultapp"}, nil)
	expiries = &leaseExpiry{at: map[[2]string]time.Time{}}
)

func (c *leaseExpiry) Describe(ch chan<- *prometheus.Desc) { ch <- leaseExpiryDesc }

func (c *leaseExpiry) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for k, t := range c.at {
		ch <- prometheus.MustNewConstMetric(leaseExpiryDesc, prometheus.GaugeValue, t.Sub(now).Seconds(), k[0], k[1])
	}
}

// SetLeases records a VaultApp's active dynamic secrets and nearest expiry
// (n == 0 removes its series).
func SetLeases(namespace, name string, n int, nearest time.Time) {
	expiries.mu.Lock()
	defer expiries.mu.Unlock()
	if n == 0 {
		delete(expiries.at, [2]string{namespace, name})
		LeasesActive.DeleteLabelValues(namespace, name)
		return
	}
	expiries.at[[2]string{namespace, name}] = nearest
	LeasesActive.WithLabelValues(namespace, name).Set(float64(n))
}

func init() {
	ctrlmetrics.Registry.MustRegister(LeasesActive, LeaseRenewals, LeaseReissues, LeaseRevocations, expiries)
}
