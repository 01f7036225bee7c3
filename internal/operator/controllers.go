package operator

import (
	"fmt"

	"golang.org/x/time/rate"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/vault-sync-io/vault-sync-operator/internal/controller/push"
	"github.com/vault-sync-io/vault-sync-operator/internal/controller/vaultapp"
	"github.com/vault-sync-io/vault-sync-operator/internal/identity"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretwatch"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// setupControllers builds the push and VaultApp controllers on the shared
// Vault pool, identity resolver and policy.
func setupControllers(cfg *rest.Config, mgr ctrl.Manager, pool *vault.Pool, key mac.Key, o Options) error {
	ids := identity.Resolver{OperatorRole: o.Vault.Role, Workload: o.VaultIdentity == IdentityWorkload,
		PushRole: o.WorkloadPushRole, Cluster: o.ClusterName, Complete: o.Vault.Complete}
	pol, err := newPolicy(mgr, ids, o)
	if err != nil {
		return err
	}
	events := kube.Events{Recorder: mgr.GetEventRecorderFor("vault-sync-operator")} //nolint:staticcheck // core events: see kube.EventRecorder
	tracker, err := secretTracker(cfg, o)
	if err != nil {
		return err
	}
	pushSync := &push.Reconciler{
		Client: mgr.GetClient(),
		// Secrets are read on demand, never cached: see cacheOptions.
		Secrets:                 mgr.GetAPIReader(),
		Live:                    mgr.GetAPIReader(),
		Vault:                   func(dep *appsv1.Deployment) vault.KVStore { return pool.Client(ids.ForDeployment(dep)) },
		Tracker:                 tracker,
		Events:                  events,
		ClusterName:             o.ClusterName,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		Policy:                  pol,
		Key:                     key,
	}
	if err := pushSync.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up push sync controller: %w", err)
	}
	apps := &vaultapp.Reconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Vault:                   func(id vault.Identity) vaultapp.VaultClient { return pool.Client(id) },
		Identities:              ids,
		LeaseRenewFraction:      o.LeaseRenewFraction,
		LeaseRevokeGrace:        o.LeaseRevokeGrace,
		TokenReplaced:           pool.OnTokenReplaced,
		Events:                  events,
		DefaultRefresh:          o.VaultAppRefresh,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		Policy:                  pol,
		ClusterName:             o.ClusterName,
		Key:                     key,
	}
	if o.MaxRolloutsPerSecond > 0 {
		apps.Rollouts = rate.NewLimiter(rate.Limit(o.MaxRolloutsPerSecond), max(1, int(o.MaxRolloutsPerSecond)))
	}
	if err := apps.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up vaultapp controller: %w", err)
	}
	return nil
}

// secretTracker watches Secret metadata for push sync.
func secretTracker(cfg *rest.Config, o Options) (*secretwatch.Tracker, error) {
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	watchNS := ""
	if len(o.WatchNamespaces) == 1 {
		watchNS = o.WatchNamespaces[0]
	}
	tracker := secretwatch.New(md, watchNS)
	if err := metrics.RegisterSecretsDiscovered(tracker.ReferencedPerNamespace); err != nil {
		return nil, err
	}
	return tracker, nil
}

// newPolicy is the tenant policy: in operator-identity mode, VaultGrants
// (and the --allowed-* flags) must grant every role and path, and the
// operator's own role is never a VaultApp's; in workload-identity mode Vault
// itself decides, and only the flags, when set, narrow it further.
func newPolicy(mgr ctrl.Manager, ids identity.Resolver, o Options) (*policy.Policy, error) {
	static, err := policy.FromFlags(o.AllowedVaultPaths, o.AllowedVaultAppRoles)
	if err != nil {
		return nil, err
	}
	op := ids.Operator()
	p := &policy.Policy{Static: static, Cluster: o.ClusterName, DefaultAuthPath: op.AuthPath,
		Operator: policy.Role{AuthPath: op.AuthPath, Name: op.Role}}
	if !ids.Workload {
		p.Enforce = true
		p.Objects = policy.VaultGrants{Reader: mgr.GetClient(), Log: ctrl.Log.WithName("policy")}
	}
	return p, nil
}
