// Package operator assembles the manager: Vault client, controllers, health
// checks and caches. main.go, the local sandbox, the tests and the
// benchmark all run the operator through it, so they run the same wiring.
package operator

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Options are the operator's settings; every field is a documented flag.
type Options struct {
	Vault vault.Config
	// VaultJWTFile is the service-account token presented to Vault. Defaults
	// to the in-cluster token.
	VaultJWTFile string
	// VaultServiceAccount ("namespace/name"), when set, makes the operator
	// obtain its token through the TokenRequest API instead (out of cluster).
	VaultServiceAccount string

	// OperatorNamespace is where the operator keeps its own state (its
	// HMAC key, stored Vault tokens); default: its pod's namespace.
	OperatorNamespace string

	MetricsAddr      string
	PprofAddr        string
	ProbeAddr        string
	LeaderElect      bool
	LeaderElectionNS string
	// LeaderLease, LeaderRenew and LeaderRetry time the leader election: a
	// leader that dies without releasing the lease (a killed process, a
	// lost node) is replaced about LeaderLease after its last renewal.
	LeaderLease, LeaderRenew, LeaderRetry time.Duration
	ClusterName                           string
	WatchNamespaces                       []string
	MaxConcurrentReconciles               int
	KubeAPIQPS                            float32
	KubeAPIBurst                          int
	VaultAppRefresh                       time.Duration
	// AllowedVaultPaths and AllowedVaultAppRoles are policy templates
	// (internal/policy); empty allows everything.
	AllowedVaultPaths    []string
	AllowedVaultAppRoles []string

	// LeaseRenewFraction is the share of a lease's duration after which it is
	// renewed (or, near its max TTL, replaced).
	LeaseRenewFraction float64
	// LeaseRevokeGrace is how long replaced credentials stay valid after the
	// pods using the new ones are ready.
	LeaseRevokeGrace time.Duration
	// VaultTokenCheck is how often a Vault session that holds leases checks
	// that its token was not revoked.
	VaultTokenCheck time.Duration
	// VaultTokenStoreNamespace is where Vault tokens that issued leases are
	// kept for the next operator process ("" : the operator's namespace;
	// "-": not kept).
	VaultTokenStoreNamespace string
	// VaultClientIdleTimeout evicts Vault clients (and revokes their
	// tokens) unused for this long that hold no leases.
	VaultClientIdleTimeout time.Duration
	// MaxRolloutsPerSecond limits rollouts caused by rotated data (0: no limit).
	MaxRolloutsPerSecond float64
	// VaultIdentity is IdentityOperator (default) or IdentityWorkload.
	VaultIdentity string
	// WorkloadPushRole is the push role of Deployments without a
	// vault-sync.io/role annotation in workload-identity mode.
	WorkloadPushRole string
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		Vault:                   vault.DefaultConfig(),
		VaultJWTFile:            vault.InClusterTokenPath,
		MetricsAddr:             ":8080",
		ProbeAddr:               ":8081",
		MaxConcurrentReconciles: 16,
		LeaderLease:             10 * time.Second,
		LeaderRenew:             7 * time.Second,
		LeaderRetry:             2 * time.Second,
		KubeAPIQPS:              500,
		KubeAPIBurst:            1000,
		VaultAppRefresh:         5 * time.Minute,
		LeaseRenewFraction:      2.0 / 3,
		LeaseRevokeGrace:        30 * time.Second,
		VaultTokenCheck:         10 * time.Second,
		VaultClientIdleTimeout:  vault.DefaultIdleTimeout,
		VaultIdentity:           IdentityOperator,
		MaxRolloutsPerSecond:    10,
		WorkloadPushRole:        "{{namespace}}",
	}
}

// BindFlags registers every option on fs.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	o.Vault.BindFlags(fs)
	fs.StringVar(&o.VaultJWTFile, "vault-jwt-file", o.VaultJWTFile, "Service-account token file presented to Vault's Kubernetes auth.")
	fs.StringVar(&o.VaultServiceAccount, "vault-service-account", o.VaultServiceAccount, "namespace/name of a ServiceAccount whose token (TokenRequest API) is presented to Vault instead of --vault-jwt-file; for running out of cluster.")
	fs.StringVar(&o.OperatorNamespace, "operator-namespace", o.OperatorNamespace, "Namespace where the operator keeps its own state: the HMAC key Secret and stored Vault tokens (default: its pod's namespace; out of cluster, the namespace of --vault-service-account).")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "Address of the Prometheus metrics endpoint; \"0\" disables it.")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "Address of /healthz and /readyz.")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr, "Address of Go's /debug/pprof endpoints (empty or \"0\": off).")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "Elect a leader so that only one replica writes; required with more than one replica.")
	fs.StringVar(&o.LeaderElectionNS, "leader-election-namespace", o.LeaderElectionNS, "Namespace of the leader-election Lease (default: the operator's own namespace).")
	fs.DurationVar(&o.LeaderLease, "leader-elect-lease-duration", o.LeaderLease, "How long a standby waits after the leader's last renewal before it takes over (a leader that releases the lease on shutdown is replaced at once).")
	fs.DurationVar(&o.LeaderRenew, "leader-elect-renew-deadline", o.LeaderRenew, "How long the leader keeps trying to renew before it stops leading; shorter than --leader-elect-lease-duration.")
	fs.DurationVar(&o.LeaderRetry, "leader-elect-retry-period", o.LeaderRetry, "How often the leader renews and standbys try to take the lease; shorter than --leader-elect-renew-deadline.")
	fs.StringVar(&o.ClusterName, "cluster-name", o.ClusterName, "Cluster name for multi-cluster installs: push paths become <mount>/clusters/<name>/<path>.")
	fs.Func("watch-namespaces", "Comma-separated namespaces to watch (default: all).", func(s string) error {
		o.WatchNamespaces = append(o.WatchNamespaces, splitList(s)...)
		return nil
	})
	fs.Func("allowed-vault-paths", "Comma-separated Vault paths objects of every namespace may read and write through the operator, as templates such as \"secret/data/{{namespace}}/*\" ({{namespace}}, {{cluster}}; \"/*\" as the last segment). A static alternative to VaultGrants.", func(s string) error {
		o.AllowedVaultPaths = append(o.AllowedVaultPaths, splitList(s)...)
		return nil
	})
	fs.Func("allowed-vaultapp-roles", "Comma-separated Vault roles (at the operator's auth mount) VaultApps of every namespace may use, exactly or as templates such as \"{{namespace}}\" or \"{{namespace}}-app\" (\"*\" alone: all). A static alternative to VaultGrants.", func(s string) error {
		o.AllowedVaultAppRoles = append(o.AllowedVaultAppRoles, splitList(s)...)
		return nil
	})
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", o.MaxConcurrentReconciles, "Parallel reconciles per controller.")
	fs.Func("kube-api-qps", fmt.Sprintf("Client-side QPS limit towards the API server (default %v).", o.KubeAPIQPS), func(s string) error {
		var f float32
		_, err := fmt.Sscan(s, &f)
		o.KubeAPIQPS = f
		return err
	})
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Client-side burst towards the API server.")
	fs.DurationVar(&o.VaultAppRefresh, "vaultapp-refresh-interval", o.VaultAppRefresh, "Default interval at which VaultApps re-read Vault.")
	fs.Float64Var(&o.LeaseRenewFraction, "lease-renew-fraction", o.LeaseRenewFraction, "Share of a dynamic secret's lease (or certificate's validity) after which it is renewed, or replaced when it cannot be renewed any more (0.1-0.9).")
	fs.DurationVar(&o.LeaseRevokeGrace, "lease-revoke-grace", o.LeaseRevokeGrace, "How long replaced credentials stay valid after the pods using the new ones are ready (default for VaultApps' spec.vault.leases.revokeGracePeriod).")
	fs.Float64Var(&o.MaxRolloutsPerSecond, "max-rollouts-per-second", o.MaxRolloutsPerSecond, "Rollouts of VaultApp Deployments caused by rotated secret data started per second, across the operator (bursts of the same size); the Secret is updated at once, the rollout waits its turn. 0: no limit.")
	fs.StringVar(&o.VaultIdentity, "vault-identity", o.VaultIdentity, "Who the operator is in Vault: operator (its own service account for every login) or workload (recommended: each Deployment's / VaultApp's own service account through a short-lived TokenRequest token, so Vault's policies isolate namespaces; needs the workload-identity ClusterRole).")
	fs.StringVar(&o.WorkloadPushRole, "workload-push-role", o.WorkloadPushRole, "In workload-identity mode, the Vault role of annotated Deployments without a vault-sync.io/role annotation ({{namespace}}, {{cluster}}).")
	fs.StringVar(&o.VaultTokenStoreNamespace, "vault-token-store-namespace", o.VaultTokenStoreNamespace, "Namespace of the Secrets keeping the Vault tokens that issued leases, so that a restarted or newly elected operator adopts them and their leases live on (default: the operator's namespace; \"-\" disables).")
	fs.DurationVar(&o.VaultClientIdleTimeout, "vault-client-idle-timeout", o.VaultClientIdleTimeout, "Vault clients (one per identity: role, auth mount and, in workload-identity mode, service account) unused for this long and holding no leases are dropped and their tokens revoked; 0 keeps them.")
	fs.DurationVar(&o.VaultTokenCheck, "vault-token-check-interval", o.VaultTokenCheck, "How often a Vault token that issued leases is checked for revocation (its leases die with it); 0 disables.")
}

// Validate checks the options for mistakes a user can make.
func (o Options) Validate() error {
	if o.MaxConcurrentReconciles < 1 {
		return fmt.Errorf("--max-concurrent-reconciles must be at least 1")
	}
	if o.VaultServiceAccount != "" && !strings.Contains(o.VaultServiceAccount, "/") {
		return fmt.Errorf("--vault-service-account must be namespace/name, got %q", o.VaultServiceAccount)
	}
	if o.VaultAppRefresh < 10*time.Second {
		return fmt.Errorf("--vaultapp-refresh-interval must be at least 10s")
	}
	if !(0 < o.LeaderRetry && o.LeaderRetry < o.LeaderRenew && o.LeaderRenew < o.LeaderLease) {
		return fmt.Errorf("leader election needs 0 < --leader-elect-retry-period (%s) < --leader-elect-renew-deadline (%s) < --leader-elect-lease-duration (%s)",
			o.LeaderRetry, o.LeaderRenew, o.LeaderLease)
	}
	if o.LeaseRenewFraction < 0.1 || o.LeaseRenewFraction > 0.9 {
		return fmt.Errorf("--lease-renew-fraction must be between 0.1 and 0.9, got %v", o.LeaseRenewFraction)
	}
	if o.VaultClientIdleTimeout < 0 {
		return fmt.Errorf("--vault-client-idle-timeout must not be negative")
	}
	if o.LeaseRevokeGrace < 0 {
		return fmt.Errorf("--lease-revoke-grace must not be negative")
	}
	if err := validateIdentity(o); err != nil {
		return err
	}
	if _, err := policy.FromFlags(o.AllowedVaultPaths, o.AllowedVaultAppRoles); err != nil {
		return err
	}
	return o.Vault.Validate()
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
