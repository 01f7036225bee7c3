package controller

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"golang.org/x/time/rate"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// FieldOwner is the server-side-apply field manager of everything the
// operator writes.
const FieldOwner = client.FieldOwner("vault-sync-operator")

// VaultSession is the part of the Vault client a VaultApp needs: one
// identity's authenticated session (vault.Session).
type VaultSession interface {
	Identity() vault.Identity
	ReadSecret(ctx context.Context, path string) (*vault.SecretData, error)
	IssueSecret(ctx context.Context, path string, params map[string]any) (*vault.SecretData, error)
	LookupLease(ctx context.Context, id string) (*vault.LeaseInfo, error)
	RenewLease(ctx context.Context, id string, increment time.Duration) (*vault.LeaseInfo, error)
	RevokeLease(ctx context.Context, id string) error
	// Generation counts the session's logins (leases die with their token).
	Generation() uint64
}

// VaultAppReconciler runs VaultApps: Vault data -> Secret -> Deployment ->
// Service/ServiceMonitor -> status.
type VaultAppReconciler struct {
	Client client.Client
	// APIReader reads around the cache when the cache is known to be stale.
	APIReader client.Reader
	// Vault returns the (cached, self-renewing) session of an identity.
	Vault    func(vault.Identity) VaultSession
	Recorder EventRecorder
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
	// WorkloadIdentity logs in as the app's own service account (the pod
	// template's) instead of the operator's.
	WorkloadIdentity bool
	// LeaseRenewFraction is the share of a lease's duration after which it
	// is renewed (default 2/3); LeaseRevokeGrace how long replaced
	// credentials outlive the rollout of new ones.
	LeaseRenewFraction float64
	LeaseRevokeGrace   time.Duration
	// TokenReplaced, when set, is called with a function that wakes the
	// VaultApps holding leases of an identity whose Vault token was replaced.
	TokenReplaced func(func(vault.Identity))

	// serviceMonitors tells whether the ServiceMonitor CRD was installed at start.
	serviceMonitors bool
	leases          *leaseBook
}

// +kubebuilder:rbac:groups=app.techweaver.io,resources=vaultapps,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=app.techweaver.io,resources=vaultapps/finalizers,verbs=update
// +kubebuilder:rbac:groups=app.techweaver.io,resources=vaultapps/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=create;delete
// +kubebuilder:rbac:groups="",resources=secrets;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors,verbs=get;list;watch;create;update;patch;delete

// Reconcile runs the steps in order. Each step sets its own condition; the
// deferred status update summarises them into Ready and writes the status
// once, only if it changed.
func (r *VaultAppReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	app := &appv1alpha1.VaultApp{}
	if err := r.Client.Get(ctx, req.NamespacedName, app); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetVaultApp(req.Namespace, req.Name)
			metrics.SetLeases(req.Namespace, req.Name, 0, time.Time{})
			r.leases.forgetApp(req.NamespacedName)
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
	if len(app.Spec.Vault.Issue) > 0 {
		if err := r.ensureRevokeFinalizer(ctx, app); err != nil {
			return ctrl.Result{}, err
		}
	}

	prev, err := r.currentSecret(ctx, app)
	if err != nil {
		return ctrl.Result{}, err
	}
	vd, err := r.reconcileVaultData(ctx, app, prev)
	if err != nil {
		metrics.VaultAppSyncs.WithLabelValues(app.Namespace, app.Name, "error").Inc()
		var denied *policy.DeniedError
		if errors.As(err, &denied) {
			return ctrl.Result{}, nil // the user's next spec change (or a policy change and restart) retries
		}
		// Keep what exists (last good Secret, running Deployment): only
		// make sure the Deployment exists if a Secret does.
		if app.Status.SecretVersion != "" {
			_ = r.reconcileDeployment(ctx, app, app.Status.SecretVersion)
			_ = r.reconcileMonitoring(ctx, app)
		}
		return r.retryAfterVaultError(err), nil
	}
	if len(vd.record.Current) > 0 {
		if err := r.ensureRevokeFinalizer(ctx, app); err != nil {
			r.revokeFresh(ctx, vd)
			return ctrl.Result{}, err
		}
	}
	version, err := r.reconcileSecret(ctx, app, prev, vd.data, vd.record)
	if err != nil {
		r.revokeFresh(ctx, vd)
		return ctrl.Result{}, err
	}
	r.recordLeases(app, vd)
	metrics.VaultAppSyncs.WithLabelValues(app.Namespace, app.Name, "success").Inc()
	metrics.VaultAppLastSuccess.WithLabelValues(app.Namespace, app.Name).SetToCurrentTime()
	var queued *rolloutQueued
	if err := r.reconcileDeployment(ctx, app, version); errors.As(err, &queued) {
		// The Secret is current; the rollout (and the revocation of
		// replaced leases, which waits for it) comes at its turn.
		return ctrl.Result{RequeueAfter: queued.after + time.Duration(rand.Int64N(int64(time.Second)))}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	revokeAt, revokeErr := r.reconcileRetiring(ctx, app, vd)
	if err := r.reconcileMonitoring(ctx, app); err != nil {
		return ctrl.Result{}, err
	}
	if revokeErr != nil {
		return ctrl.Result{RequeueAfter: jitter(30 * time.Second)}, nil
	}
	return ctrl.Result{RequeueAfter: r.nextWake(app, vd.next, revokeAt)}, nil
}

// nextWake is when to run again: the refresh interval (static values are
// re-read), or earlier when a lease needs renewing, a certificate
// re-issuing, or replaced credentials revoking.
func (r *VaultAppReconciler) nextWake(app *appv1alpha1.VaultApp, times ...time.Time) time.Duration {
	next := jitter(r.refreshInterval(app))
	now := time.Now()
	for _, t := range times {
		if !t.IsZero() && t.Sub(now) < next {
			next = max(t.Sub(now), time.Second)
		}
	}
	return next
}

func (r *VaultAppReconciler) refreshInterval(app *appv1alpha1.VaultApp) time.Duration {
	if ri := app.Spec.Vault.RefreshInterval; ri != nil && ri.Duration > 0 {
		return ri.Duration
	}
	return r.DefaultRefresh
}

// retryAfterVaultError: Vault outages back off through the workqueue; what
// only a change in Vault fixes (missing path, denied policy) is retried a
// minute later, as Vault sends no events.
func (r *VaultAppReconciler) retryAfterVaultError(err error) ctrl.Result {
	switch vault.CategoryOf(err) {
	case vault.CategoryConnection, vault.CategoryUnavailable:
		return ctrl.Result{RequeueAfter: jitter(15 * time.Second)}
	}
	return ctrl.Result{RequeueAfter: jitter(time.Minute)}
}

// SetupWithManager watches VaultApps and everything they own. The
// ServiceMonitor watch exists only when its CRD is installed.
func (r *VaultAppReconciler) SetupWithManager(mgr ctrl.Manager) error {
	_, err := mgr.GetRESTMapper().RESTMapping(schema.GroupKind{Group: monitoringv1.SchemeGroupVersion.Group, Kind: monitoringv1.ServiceMonitorsKind}, "v1")
	r.serviceMonitors = err == nil
	r.leases = newLeaseBook()
	b := ctrl.NewControllerManagedBy(mgr).
		Named("vaultapp").
		For(&appv1alpha1.VaultApp{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&appsv1.Deployment{}, builder.OnlyMetadata).
		Owns(&corev1.Secret{}).
		Owns(&corev1.Service{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles, RateLimiter: newRateLimiter()})
	if r.serviceMonitors {
		b = b.Owns(&monitoringv1.ServiceMonitor{})
	}
	if r.TokenReplaced != nil {
		// A replaced Vault token took its leases with it: wake their holders
		// now rather than at their next renewal.
		wake := make(chan event.TypedGenericEvent[types.NamespacedName], 1024)
		r.TokenReplaced(func(id vault.Identity) {
			for _, app := range r.leases.holdersOf(id) {
				wake <- event.TypedGenericEvent[types.NamespacedName]{Object: app}
			}
		})
		b = b.WatchesRawSource(source.Channel(wake, handler.TypedEnqueueRequestsFromMapFunc(
			func(_ context.Context, app types.NamespacedName) []reconcile.Request {
				return []reconcile.Request{{NamespacedName: app}}
			})))
	}
	return b.Complete(r)
}

// setCondition sets one condition, with the object's generation.
func setCondition(app *appv1alpha1.VaultApp, t string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&app.Status.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason,
		Message: truncate(msg, 1024), ObservedGeneration: app.Generation})
}
