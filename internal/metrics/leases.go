package metrics

import (
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

// expiries reports, at scrape time, the seconds until each VaultApp's
// nearest credential expiry, so an alert can fire before credentials die
// (vault_sync_operator_vaultapp_lease_expiry_seconds < 300).
var expiries = newClockGauge("vaultapp_lease_expiry_seconds",
	"Seconds until the nearest expiry of a VaultApp's dynamic credentials (lease end or certificate notAfter).",
	func(t, now time.Time) float64 { return t.Sub(now).Seconds() })

// SetLeases records a VaultApp's active dynamic secrets and nearest expiry
// (n == 0 removes its series).
func SetLeases(namespace, name string, n int, nearest time.Time) {
	expiries.update(namespace, name, func(time.Time, bool) (time.Time, bool) { return nearest, n > 0 })
	if n == 0 {
		LeasesActive.DeleteLabelValues(namespace, name)
		return
	}
	LeasesActive.WithLabelValues(namespace, name).Set(float64(n))
}

func init() {
	ctrlmetrics.Registry.MustRegister(LeasesActive, LeaseRenewals, LeaseReissues, LeaseRevocations, expiries)
}
