package vaultapp

import (
	"context"
	"errors"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/desired"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/monitoring"
)

// reconcileMonitoring manages the Service that exposes the metrics port and
// the ServiceMonitor that makes Prometheus scrape it. Disabled monitoring
// removes both. Without the ServiceMonitor CRD, the Service is still
// managed and the condition says what to install. Nothing happens before
// the first Secret exists.
//
// Conditions: MonitoringReady.
func (r *Reconciler) reconcileMonitoring(ctx context.Context, p *pass) (ctrl.Result, error) {
	app := p.app
	if p.version == "" {
		return ctrl.Result{}, nil
	}
	mon := app.Spec.Monitoring
	if mon == nil || !mon.Enabled {
		return ctrl.Result{}, r.removeMonitoring(ctx, app)
	}
	if p.monitoringInvalid != nil {
		_ = r.fail(ctx, app, appv1alpha1.ConditionMonitoringReady, appv1alpha1.ReasonInvalidSpec, p.monitoringInvalid)
		return ctrl.Result{}, nil // the spec's next change wakes it
	}
	port, ok := desired.MetricsPort(app)
	if !ok {
		mark(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionFalse, appv1alpha1.ReasonNoMetricsPort,
			fmt.Sprintf("no container port named %q in the pod template; name the metrics port and set spec.monitoring.port", mon.Port))
		return ctrl.Result{}, nil
	}
	svc := desired.Service(app, port)
	if err := r.applyIfChanged(ctx, app, svc, &corev1.Service{}, func(existing client.Object) bool {
		return equality.Semantic.DeepDerivative(svc.Spec, existing.(*corev1.Service).Spec)
	}); err != nil {
		return r.monitoringFailed(ctx, app, appv1alpha1.ReasonServiceApplyFailed, err)
	}
	if !r.serviceMonitors {
		mark(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionFalse, appv1alpha1.ReasonServiceMonitorCRDMissing,
			"the ServiceMonitor CRD (monitoring.coreos.com/v1) is not installed: install prometheus-operator's CRDs and restart the operator; the metrics Service exists meanwhile")
		return ctrl.Result{}, nil
	}
	sm, existing := desired.ServiceMonitor(app, port.Name), &monitoringv1.ServiceMonitor{}
	if err := r.applyIfChanged(ctx, app, sm, existing, func(existing client.Object) bool {
		return equality.Semantic.DeepDerivative(sm.Spec, existing.(*monitoringv1.ServiceMonitor).Spec)
	}); err != nil {
		return r.monitoringFailed(ctx, app, appv1alpha1.ReasonServiceMonitorApplyFailed, err)
	}
	// What prometheus-operator says of the ServiceMonitor (its status
	// changes wake this reconcile); unknown is not a rejection.
	if a := monitoring.ServiceMonitorAcceptance(existing); a.Known && !a.Accepted && existing.Generation > 0 {
		mark(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionFalse, a.Reason, a.Message)
		return ctrl.Result{}, nil
	}
	mark(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("scraping port %s at %s", port.Name, mon.Path))
	return ctrl.Result{}, nil
}

// monitoringFailed reports a failed Service or ServiceMonitor write: a name
// conflict waits for the other object to go, anything else is retried.
func (r *Reconciler) monitoringFailed(ctx context.Context, app *appv1alpha1.VaultApp, reason string, err error) (ctrl.Result, error) {
	if conflict := (*nameConflict)(nil); errors.As(err, &conflict) {
		return r.conflicted(ctx, app, appv1alpha1.ConditionMonitoringReady, err), nil
	}
	mark(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionFalse, reason, err.Error())
	return ctrl.Result{}, err
}

// removeMonitoring deletes the Service and ServiceMonitor of a VaultApp
// whose monitoring is off.
func (r *Reconciler) removeMonitoring(ctx context.Context, app *appv1alpha1.VaultApp) error {
	if err := r.deleteOwned(ctx, app, &corev1.Service{}); err != nil {
		return err
	}
	if r.serviceMonitors {
		if err := r.deleteOwned(ctx, app, &monitoringv1.ServiceMonitor{}); err != nil {
			return err
		}
	}
	mark(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionTrue, appv1alpha1.ReasonMonitoringDisabled, "monitoring is disabled")
	return nil
}

// applyIfChanged applies want server-side unless the existing object (read
// into into) is controlled by app, carries its labels and same() holds. An
// existing object that is not the app's is never written (nameConflict).
func (r *Reconciler) applyIfChanged(ctx context.Context, app *appv1alpha1.VaultApp, want, into client.Object, same func(client.Object) bool) error {
	found, err := r.existing(ctx, client.ObjectKeyFromObject(want), into)
	if err != nil {
		return err
	}
	kind := want.GetObjectKind().GroupVersionKind().Kind
	if err := mayWrite(app, kind, found); err != nil {
		return err
	}
	if found != nil && kube.ControlledBy(found, app) && desired.HasLabels(found, want.GetLabels()) && same(found) {
		return nil
	}
	if err := kube.Apply(ctx, r.Client, want); err != nil {
		return fmt.Errorf("failed to apply %s %s: %w", kind, want.GetName(), err)
	}
	return nil
}

// deleteOwned deletes the object named like app if app controls it.
func (r *Reconciler) deleteOwned(ctx context.Context, app *appv1alpha1.VaultApp, obj client.Object) error {
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: app.Name}, obj)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || !kube.ControlledBy(obj, app) {
		return err
	}
	return client.IgnoreNotFound(r.Client.Delete(ctx, obj))
}
