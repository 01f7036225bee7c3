// Package metrics defines the operator's Prometheus metrics, registered on
// controller-runtime's registry so they are served with the built-in ones
// on the metrics endpoint. Label values never carry secret data.
package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

const ns = "vault_sync_operator"

// Push sync (Deployment annotations).
var (
	SyncAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "sync_attempts_total",
		Help: "Push syncs of annotated Deployments that had something to write, by namespace and result (success, error). Reconciles that find nothing changed are not counted. (No series per Deployment: at 10,000 Deployments they cost more memory than the Deployments themselves; the Deployment's events name it.)",
	}, []string{"namespace", "result"})
	SyncDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: ns, Name: "sync_duration_seconds",
		Help:    "Duration of push syncs that reached Vault.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	SecretNotFound = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "secret_not_found_errors_total",
		Help: "Syncs that failed because a referenced Secret does not exist.",
	}, []string{"namespace"})
	SecretKeyMissing = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "secret_key_missing_errors_total",
		Help: "Syncs that failed because a selected key is missing from its Secret.",
	}, []string{"namespace"})
	ConfigParseErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "config_parse_errors_total",
		Help: "Invalid vault-sync.io annotations, by error type.",
	}, []string{"error_type"})
	VaultWriteErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "vault_write_errors_total",
		Help: "Failed Vault writes and deletes of push sync, by error category.",
	}, []string{"error_type"})
)

// Vault client.
var (
	AuthAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "auth_attempts_total",
		Help: "Vault logins, by result (success or the error category).",
	}, []string{"result"})
	VaultRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "vault_requests_total",
		Help: "HTTP requests sent to Vault, by kind (login, renew, mount_lookup, read, write, delete, health) and status code.",
	}, []string{"kind", "code"})
)

// PolicyDenials counts paths and roles refused by the operator's policy.
var PolicyDenials = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: ns, Name: "policy_denials_total",
	Help: "Vault paths and VaultApp roles refused by --allowed-vault-paths / --allowed-vaultapp-roles, by kind (path, role).",
}, []string{"kind"})

// KubeRequests counts API server requests by verb and resource, so
// benchmarks and users can tell object writes from events.
var KubeRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: ns, Name: "kube_requests_total",
	Help: "Requests to the Kubernetes API server, by verb (get, list, watch, create, update, patch, delete) and resource.",
}, []string{"verb", "resource"})

func init() {
	ctrlmetrics.Registry.MustRegister(KubeRequests, PolicyDenials)
	ctrlmetrics.Registry.MustRegister(SyncAttempts, SyncDuration, SecretNotFound,
		SecretKeyMissing, ConfigParseErrors, VaultWriteErrors, AuthAttempts, VaultRequests)
}

// VaultObserver feeds the Vault client's logins and requests into metrics.
type VaultObserver struct{}

var _ vault.Observer = VaultObserver{}

func (VaultObserver) Login(result string) { AuthAttempts.WithLabelValues(result).Inc() }

func (VaultObserver) Request(kind vault.RequestKind, code int) {
	VaultRequests.WithLabelValues(string(kind), strconv.Itoa(code)).Inc()
	if code == 0 || code >= 500 {
		VaultUp.Set(0)
	} else {
		VaultUp.Set(1)
	}
}

// secretsDiscovered reports, at scrape time, the Secrets referenced by
// annotated Deployments per namespace: computed from the tracker instead
// of a series per Deployment, so it costs no memory between scrapes.
type secretsDiscovered struct{ count func() map[string]int }

var secretsDiscoveredDesc = prometheus.NewDesc(ns+"_secrets_discovered",
	"Kubernetes Secrets referenced by annotated Deployments (auto-discovered or selected), by namespace.", []string{"namespace"}, nil)

func (c secretsDiscovered) Describe(ch chan<- *prometheus.Desc) { ch <- secretsDiscoveredDesc }

func (c secretsDiscovered) Collect(ch chan<- prometheus.Metric) {
	for n, v := range c.count() {
		ch <- prometheus.MustNewConstMetric(secretsDiscoveredDesc, prometheus.GaugeValue, float64(v), n)
	}
}

// RegisterSecretsDiscovered exposes vault_sync_operator_secrets_discovered from count.
func RegisterSecretsDiscovered(count func() map[string]int) error {
	return ctrlmetrics.Registry.Register(secretsDiscovered{count: count})
}

// VaultApp (pull).
var (
	VaultAppSyncs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "vaultapp_syncs_total",
		Help: "VaultApp syncs from Vault, by result (success, error).",
	}, []string{"namespace", "vaultapp", "result"})
	VaultAppReadErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "vaultapp_vault_read_errors_total",
		Help: "Failed Vault reads of VaultApps, by error category.",
	}, []string{"error_type"})
	VaultAppLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: ns, Name: "vaultapp_last_success_timestamp_seconds",
		Help: "Unix time of each VaultApp's last successful sync; alert on time() minus this.",
	}, []string{"namespace", "vaultapp"})
)

// VaultApp rollouts and repairs.
var (
	VaultAppRollouts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "vaultapp_rollouts_total",
		Help: "Rollouts of VaultApp Deployments the operator started, by reason: data_changed (a value read from Vault changed), template_changed (spec.secret changed what is rendered), spec_changed (the VaultApp's deploymentSpec changed).",
	}, []string{"reason"})
	VaultAppDriftRepairs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "vaultapp_drift_repairs_total",
		Help: "Managed Secrets restored after someone else changed or deleted them, by what happened (edited, deleted).",
	}, []string{"kind"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(VaultAppSyncs, VaultAppReadErrors, VaultAppLastSuccess, VaultAppRollouts, VaultAppDriftRepairs)
}

// ForgetVaultApp drops the series of a deleted VaultApp.
func ForgetVaultApp(namespace, name string) {
	VaultAppLastSuccess.DeleteLabelValues(namespace, name)
	VaultAppRefreshInterval.DeleteLabelValues(namespace, name)
	forgetRollout(namespace, name)
	VaultAppSyncs.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "vaultapp": name})
}
