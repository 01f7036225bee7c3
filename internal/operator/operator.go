// Package operator assembles the manager: Vault client, controllers, health
// checks and caches. main.go, the local sandbox, the tests and the
// benchmark all run the operator through it, so they run the same wiring.
package operator

import (
	"context"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
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
		LeaseDuration:                 &o.LeaderLease,
		RenewDeadline:                 &o.LeaderRenew,
		RetryPeriod:                   &o.LeaderRetry,
		Cache:                         cacheOptions(o),
		Client:                        clientOptions(),
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	ns := operatorNamespace(o)
	if ns == "" {
		return nil, fmt.Errorf("cannot tell the operator's namespace: set --operator-namespace (or POD_NAMESPACE)")
	}
	key, err := loadOrCreateKey(context.Background(), cfg, ns)
	if err != nil {
		return nil, err
	}
	pool, err := newVaultPool(cfg, mgr, o)
	if err != nil {
		return nil, err
	}
	if err := setupControllers(cfg, mgr, pool, key, o); err != nil {
		return nil, err
	}
	if err := addProbes(mgr, pool, o); err != nil {
		return nil, err
	}
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		defer pool.Close()
		return pool.Run(ctx)
	})); err != nil {
		return nil, err
	}
	return &Operator{Manager: mgr, Vault: pool}, nil
}
