// Package vaultapp is the VaultApp controller: it reads a VaultApp's
// secrets from Vault, keeps them in the Secret <name>-vault-secrets, runs
// the Deployment with that Secret mounted, keeps dynamic secrets alive
// (internal/lease) and manages the metrics Service and ServiceMonitor. The
// objects it writes are built by internal/desired.
package vaultapp

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/identity"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// VaultClient is what a VaultApp needs of Vault as one identity: reads and
// issues of any engine, and the lifecycle of the leases they return.
type VaultClient interface {
	vault.SecretSource
	lease.Client
	// ReleaseLeases says no VaultApp needs the identity's leases any more.
	ReleaseLeases(ctx context.Context)
}

// Reconciler runs VaultApps: Vault data -> Secret -> Deployment ->
// replaced leases -> Service/ServiceMonitor -> status.
type Reconciler struct {
	Client client.Client
	// APIReader reads around the cache when the cache is known to be stale.
	APIReader client.Reader
	// Vault returns the (cached, self-renewing) client of an identity.
	Vault  func(vault.Identity) VaultClient
	Events kube.Events
	// DefaultRefresh is how often Vault is re-read when the VaultApp does not say.
	DefaultRefresh          time.Duration
	MaxConcurrentReconciles int
	// Policy, when set, limits the roles and paths each namespace may use.
	Policy *policy.Policy
	// ClusterName fills {{cluster}} in policy templates.
	ClusterName string
	// Rollouts, when set, limits how many rollouts caused by rotated data
	// start per second across all VaultApps.
	Rollouts *rate.Limiter
	// Identities says who the operator is in Vault for an app.
	Identities identity.Resolver
	// LeaseRenewFraction is the share of a lease's duration after which it
	// is renewed (default 2/3); LeaseRevokeGrace how long replaced
	// credentials outlive the rollout of new ones.
	LeaseRenewFraction float64
	LeaseRevokeGrace   time.Duration
	// Key seals the lease records on Secrets and keys the secret version.
	Key mac.Key
	// TokenReplaced, when set, is called with a function that wakes the
	// VaultApps holding leases of an identity whose Vault token was replaced.
	TokenReplaced func(func(vault.Identity))

	// serviceMonitors tells whether the ServiceMonitor CRD was installed at start.
	serviceMonitors bool
	leases          *lease.Book
	reads           *readCache
	// queuedReasons keeps why a queued rollout will happen (by VaultApp):
	// the reconcile that starts it no longer knows.
	queuedReasons sync.Map
}

// +kubebuilder:rbac:groups=app.techweaver.io,resources=vaultapps,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=app.techweaver.io,resources=vaultapps/finalizers,verbs=update
// +kubebuilder:rbac:groups=app.techweaver.io,resources=vaultgrants,verbs=get;list;watch
// +kubebuilder:rbac:groups=app.techweaver.io,resources=vaultapps/status,verbs=patch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=create
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors,verbs=get;list;watch;create;patch;delete

// pass is one reconcile of one VaultApp, filled in by the steps in order.
type pass struct {
	app *appv1alpha1.VaultApp
	// prev is the Secret as it was (nil if none).
	prev *corev1.Secret
	// vd is what Vault gave; nil when Vault failed (vaultErr), in which
	// case what exists is kept: the last good Secret, the running Deployment.
	vd       *vaultData
	vaultErr error
	// version is the secret version the Deployment runs ("" before the
	// first Secret).
	version string
	// rolloutPending: the Secret is current but the rollout waits its turn.
	rolloutPending bool
	// rolloutReason says why a changed secret version rolls the pods.
	rolloutReason string
	// monitoringInvalid is what is wrong with spec.monitoring, if anything.
	monitoringInvalid error
	// revokeAt is when the next replaced lease is due for revocation.
	revokeAt time.Time
}

// step is one step of a reconcile. Each sets its own condition; an error
// ends the reconcile (and is retried with backoff), a result asks to run
// again at a time.
type step func(r *Reconciler, ctx context.Context, p *pass) (ctrl.Result, error)

// steps, in order. Their doc comments name the conditions each sets.
var steps = []step{
	(*Reconciler).reconcileVaultData,
	(*Reconciler).reconcileSecret,
	(*Reconciler).reconcileDeployment,
	(*Reconciler).reconcileRetiring,
	(*Reconciler).reconcileMonitoring,
}

// Reconcile runs the steps in order. The deferred status update summarises
// their conditions into Ready and writes the status once, only if it
// changed.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	app := &appv1alpha1.VaultApp{}
	if err := r.Client.Get(ctx, req.NamespacedName, app); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(ctx, req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !app.DeletionTimestamp.IsZero() {
		// Owned objects go with it through their owner references; leases
		// are revoked by the finalizer.
		return ctrl.Result{}, r.finalize(ctx, app)
	}
	before := app.Status.DeepCopy()
	defer func() {
		if err := r.patchStatus(ctx, app, before); err != nil && retErr == nil {
			result, retErr = ctrl.Result{}, err
		}
	}()
	p := &pass{app: app}
	metrics.VaultAppRefreshInterval.WithLabelValues(app.Namespace, app.Name).Set(r.refreshInterval(app).Seconds())
	if err := r.checkSpec(ctx, p); err != nil {
		return ctrl.Result{}, err
	}
	for _, s := range steps {
		res, err := s(r, ctx, p)
		if err != nil {
			return ctrl.Result{}, err
		}
		result = soonest(result, res)
	}
	return soonest(result, ctrl.Result{RequeueAfter: r.nextWake(p)}), nil
}

// checkSpec refuses, with InvalidSpec and no retry until the spec changes,
// what the CRD admits today only if an older CRD admitted it (a duration Go
// cannot use, a name that makes invalid labels): one bad object never stops
// the others.
// A bad spec.monitoring only keeps monitoring from being set up.
func (r *Reconciler) checkSpec(ctx context.Context, p *pass) error {
	app := p.app
	var errs, monitoring field.ErrorList
	for _, e := range app.ValidateSpec() {
		if strings.HasPrefix(e.Field, "spec.monitoring") {
			monitoring = append(monitoring, e)
		} else {
			errs = append(errs, e)
		}
	}
	if len(monitoring) > 0 {
		p.monitoringInvalid = fmt.Errorf("spec.monitoring is invalid: %w", monitoring.ToAggregate())
	}
	if len(errs) == 0 {
		return nil
	}
	err := fmt.Errorf("the spec is invalid (fix it and the VaultApp is reconciled again): %w", errs.ToAggregate())
	mark(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionFalse, appv1alpha1.ReasonInvalidSpec, err.Error())
	return reconcile.TerminalError(r.fail(ctx, app, appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonInvalidSpec, err))
}

// nextWake is when to run again: the refresh interval (static values are
// re-read), or earlier when a lease needs renewing, a certificate
// re-issuing, or replaced credentials revoking.
func (r *Reconciler) nextWake(p *pass) time.Duration {
	next := kube.Jitter(r.refreshInterval(p.app))
	times := []time.Time{p.revokeAt}
	if p.vd != nil {
		times = append(times, p.vd.next)
	}
	now := time.Now()
	for _, t := range times {
		if !t.IsZero() && t.Sub(now) < next {
			next = max(t.Sub(now), time.Second)
		}
	}
	return next
}

func (r *Reconciler) refreshInterval(app *appv1alpha1.VaultApp) time.Duration {
	if ri := app.Spec.Vault.RefreshInterval; ri != nil && ri.Duration > 0 {
		return ri.Duration
	}
	return r.DefaultRefresh
}

// soonest merges two results: the earlier non-zero requeue wins.
func soonest(a, b ctrl.Result) ctrl.Result {
	if a.RequeueAfter == 0 || (b.RequeueAfter > 0 && b.RequeueAfter < a.RequeueAfter) {
		return b
	}
	return a
}

// forget drops what is remembered of a deleted VaultApp.
func (r *Reconciler) forget(ctx context.Context, key types.NamespacedName) {
	metrics.ForgetVaultApp(key.Namespace, key.Name)
	r.queuedReasons.Delete(key)
	metrics.SetLeases(key.Namespace, key.Name, 0, time.Time{})
	r.release(ctx, r.leases.ForgetApp(key, types.NamespacedName{Namespace: key.Namespace, Name: appv1alpha1.SecretNameFor(key.Name)}))
}

// release tells the sessions of identities no VaultApp holds leases of any
// more: they stop checking their token and forget the stored one.
func (r *Reconciler) release(ctx context.Context, ids []vault.Identity) {
	for _, id := range ids {
		r.Vault(id).ReleaseLeases(ctx)
	}
}

// keeper decides about recorded dynamic secrets.
func (r *Reconciler) keeper() lease.Keeper {
	return lease.Keeper{Book: r.leases, RenewFraction: r.LeaseRenewFraction}
}
