package controller

import (
	"context"
	"errors"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// FieldOwner is the server-side-apply field manager of everything the
// operator writes.
const FieldOwner = client.FieldOwner("vault-sync-operator")

// SecretReader is the part of the Vault client a VaultApp needs.
type SecretReader interface {
	ReadSecret(ctx context.Context, path string) (*vault.SecretData, error)
}

// VaultAppReconciler runs VaultApps: Vault data -> Secret -> Deployment ->
// Service/ServiceMonitor -> status.
type VaultAppReconciler struct {
	Client client.Client
	// Vault returns the (cached, self-renewing) session of an identity.
	Vault    func(vault.Identity) SecretReader
	Recorder EventRecorder
	// DefaultRefresh is how often Vault is re-read when the VaultApp does not say.
	DefaultRefresh          time.Duration
	MaxConcurrentReconciles int
	// Policy, when set, limits the roles and paths each namespace may use.
	Policy *policy.Policy
	// ClusterName fills {{cluster}} in policy templates.
	ClusterName string
	// serviceMonitors tells whether the ServiceMonitor CRD was installed at start.
	serviceMonitors bool
}

// +kubebuilder:rbac:groups=app.techweaver.io,resources=vaultapps,verbs=get;list;watch
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
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !app.DeletionTimestamp.IsZero() {
		// Owned objects go with it through their owner references.
		return ctrl.Result{}, nil
	}
	before := app.Status.DeepCopy()
	defer func() {
		if err := r.patchStatus(ctx, app, before); err != nil && retErr == nil {
			result, retErr = ctrl.Result{}, err
		}
	}()

	data, err := r.reconcileVaultData(ctx, app)
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
	version, err := r.reconcileSecret(ctx, app, data)
	if err != nil {
		return ctrl.Result{}, err
	}
	metrics.VaultAppSyncs.WithLabelValues(app.Namespace, app.Name, "success").Inc()
	metrics.VaultAppLastSuccess.WithLabelValues(app.Namespace, app.Name).SetToCurrentTime()
	if err := r.reconcileDeployment(ctx, app, version); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileMonitoring(ctx, app); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: jitter(r.refreshInterval(app))}, nil
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
	b := ctrl.NewControllerManagedBy(mgr).
		Named("vaultapp").
		For(&appv1alpha1.VaultApp{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Secret{}).
		Owns(&corev1.Service{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles, RateLimiter: newRateLimiter()})
	if r.serviceMonitors {
		b = b.Owns(&monitoringv1.ServiceMonitor{})
	}
	return b.Complete(r)
}

// setCondition sets one condition, with the object's generation.
func setCondition(app *appv1alpha1.VaultApp, t string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&app.Status.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason,
		Message: truncate(msg, 1024), ObservedGeneration: app.Generation})
}
