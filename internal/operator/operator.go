package operator

import (
	"context"
	"fmt"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"golang.org/x/time/rate"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/controller"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretwatch"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Scheme holds every type the operator reads or writes.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(appv1alpha1.AddToScheme(s))
	utilruntime.Must(monitoringv1.AddToScheme(s))
	return s
}

// Operator is a configured manager plus the Vault pool it owns.
type Operator struct {
	manager.Manager
	Vault *vault.Pool
}

// New builds the manager with the controllers, caches and probes.
func New(cfg *rest.Config, o Options) (*Operator, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	cfg.UserAgent = "vault-sync-operator"
	metrics.InstrumentKubeClient(cfg)

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        Scheme(),
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:        o.ProbeAddr,
		PprofBindAddress:              o.PprofAddr,
		LeaderElection:                o.LeaderElect,
		LeaderElectionID:              "vault-sync-operator.vault-sync.io",
		LeaderElectionNamespace:       o.LeaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOptions(o),
		Client:                        clientOptions(),
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}

	jwt, err := operatorJWT(cfg, o)
	if err != nil {
		return nil, err
	}
	poolOpts := []vault.PoolOption{vault.WithObserver(metrics.VaultObserver{}),
		vault.WithLogger(ctrl.Log.WithName("vault")), vault.WithTokenCheck(o.VaultTokenCheck)}
	if o.VaultIdentity == IdentityWorkload {
		wj, err := workloadJWT(cfg, o)
		if err != nil {
			return nil, err
		}
		poolOpts = append(poolOpts, vault.WithWorkloadJWT(wj))
	}
	if ns := tokenStoreNamespace(o); ns != "" && ns != "-" {
		poolOpts = append(poolOpts, vault.WithTokenStore(secretTokenStore{reader: mgr.GetAPIReader(), writer: mgr.GetClient(), namespace: ns}))
	}
	pool, err := vault.NewPool(o.Vault, jwt, poolOpts...)
	if err != nil {
		return nil, err
	}

	pol, err := policy.New(o.AllowedVaultPaths, o.AllowedVaultAppRoles)
	if err != nil {
		return nil, err
	}
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
	push := &controller.DeploymentReconciler{
		Client: mgr.GetClient(),
		// Secrets are read on demand, never cached: see cacheOptions.
		Secrets:                 mgr.GetAPIReader(),
		Vault:                   pool.Operator(),
		Tracker:                 tracker,
		Recorder:                mgr.GetEventRecorderFor("vault-sync-operator"), //nolint:staticcheck // see controller.EventRecorder
		ClusterName:             o.ClusterName,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		Policy:                  pol,
	}
	if o.VaultIdentity == IdentityWorkload {
		push.VaultFor = pushSessions(pool, o)
	}
	if err := push.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up push sync controller: %w", err)
	}

	pull := &controller.VaultAppReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Vault: func(id vault.Identity) controller.VaultSession {
			return pool.Session(id)
		},
		WorkloadIdentity:        o.VaultIdentity == IdentityWorkload,
		LeaseRenewFraction:      o.LeaseRenewFraction,
		LeaseRevokeGrace:        o.LeaseRevokeGrace,
		TokenReplaced:           pool.OnTokenReplaced,
		Recorder:                mgr.GetEventRecorderFor("vault-sync-operator"), //nolint:staticcheck // see controller.EventRecorder
		DefaultRefresh:          o.VaultAppRefresh,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		Policy:                  pol,
		ClusterName:             o.ClusterName,
	}
	if o.MaxRolloutsPerSecond > 0 {
		burst := max(1, int(o.MaxRolloutsPerSecond))
		pull.Rollouts = rate.NewLimiter(rate.Limit(o.MaxRolloutsPerSecond), burst)
	}
	if err := pull.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up vaultapp controller: %w", err)
	}

	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("vault", vaultHealth(pool)); err != nil {
		return nil, err
	}
	// Ready means the operator can do its work: with its own identity, that
	// its login works; in workload-identity mode it has no Vault identity of
	// its own (each workload's login is reported on that object), so that
	// Vault answers.
	ready, readyName := vaultAuth(pool.Operator()), "vault-auth"
	if o.VaultIdentity == IdentityWorkload {
		ready, readyName = vaultHealth(pool), "vault"
	}
	if err := mgr.AddReadyzCheck(readyName, ready); err != nil {
		return nil, err
	}
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		pool.Close()
		return nil
	})); err != nil {
		return nil, err
	}
	return &Operator{Manager: mgr, Vault: pool}, nil
}

// cacheOptions keeps memory proportional to what the operator manages:
// managedFields are dropped from everything cached; Deployments are watched
// as slimmed metadata only (their spec and status are read with a direct
// GET when reconciled, see clientOptions); Secrets are cached only when the
// operator itself manages them (VaultApp output, by label), and other
// Secrets are read on demand.
func cacheOptions(o Options) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{"app.techweaver.io/managed-by": "vault-sync-operator"})
	deploymentMeta := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}}
	opts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Label: managed},
			deploymentMeta:   {Transform: slimDeploymentMeta},
		},
	}
	if len(o.WatchNamespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, n := range o.WatchNamespaces {
			opts.DefaultNamespaces[n] = cache.Config{}
		}
	}
	return opts
}

// clientOptions make the manager's client read Deployments from the API
// server: they are cached as metadata only, and a typed read through the
// cache would start a second, full informer.
func clientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&appsv1.Deployment{}}}}
}

// operatorJWT chooses how the operator obtains the token it logs in with.
func operatorJWT(cfg *rest.Config, o Options) (vault.JWTSource, error) {
	if o.VaultServiceAccount == "" {
		return vault.FileJWT(o.VaultJWTFile), nil
	}
	ns, name, _ := strings.Cut(o.VaultServiceAccount, "/")
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	var aud []string
	if o.Vault.JWTAudience != "" {
		aud = []string{o.Vault.JWTAudience}
	}
	return vault.TokenRequestJWT{Client: cs, Namespace: ns, Name: name, Audiences: aud}, nil
}
