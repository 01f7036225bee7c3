package controller

import (
	"context"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// reconcileMonitoring manages the Service that exposes the metrics port and
// the ServiceMonitor that makes Prometheus scrape it (a ServiceMonitor
// selects Services, not pods). Disabled monitoring removes both. Without
// the ServiceMonitor CRD, the Service is still managed and the condition
// says what to install.
//
// Conditions: MonitoringReady.
func (r *VaultAppReconciler) reconcileMonitoring(ctx context.Context, app *appv1alpha1.VaultApp) error {
	mon := app.Spec.Monitoring
	if mon == nil || !mon.Enabled {
		if err := r.deleteOwned(ctx, app, &corev1.Service{}); err != nil {
			return err
		}
		if r.serviceMonitors {
			if err := r.deleteOwned(ctx, app, &monitoringv1.ServiceMonitor{}); err != nil {
				return err
			}
		}
		setCondition(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionTrue, appv1alpha1.ReasonMonitoringDisabled, "monitoring is disabled")
		return nil
	}
	port, ok := metricsPort(app)
	if !ok {
		setCondition(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionFalse, appv1alpha1.ReasonNoMetricsPort,
			fmt.Sprintf("no container port named %q in the pod template; name the metrics port and set spec.monitoring.port", mon.Port))
		return nil
	}
	if err := r.applyService(ctx, app, port); err != nil {
		setCondition(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionFalse, appv1alpha1.ReasonServiceApplyFailed, err.Error())
		return err
	}
	if !r.serviceMonitors {
		setCondition(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionFalse, appv1alpha1.ReasonServiceMonitorCRDMissing,
			"the ServiceMonitor CRD (monitoring.coreos.com/v1) is not installed: install prometheus-operator's CRDs and restart the operator; the metrics Service exists meanwhile")
		return nil
	}
	if err := r.applyServiceMonitor(ctx, app, port.Name); err != nil {
		setCondition(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionFalse, appv1alpha1.ReasonServiceMonitorApplyFailed, err.Error())
		return err
	}
	setCondition(app, appv1alpha1.ConditionMonitoringReady, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("scraping port %s at %s", port.Name, mon.Path))
	return nil
}

// metricsPort finds the named container port (the first named port when
// spec.monitoring.port is empty).
func metricsPort(app *appv1alpha1.VaultApp) (corev1.ContainerPort, bool) {
	for _, c := range app.Spec.DeploymentSpec.Template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name != "" && (app.Spec.Monitoring.Port == "" || p.Name == app.Spec.Monitoring.Port) {
				return p, true
			}
		}
	}
	return corev1.ContainerPort{}, false
}

func (r *VaultAppReconciler) applyService(ctx context.Context, app *appv1alpha1.VaultApp, port corev1.ContainerPort) error {
	desired := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace, Labels: managedLabels(app)},
		Spec: corev1.ServiceSpec{
			Selector: app.Spec.DeploymentSpec.Selector.MatchLabels,
			Ports: []corev1.ServicePort{{Name: port.Name, Port: port.ContainerPort, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromString(port.Name)}},
		},
	}
	return r.applyIfChanged(ctx, app, desired, &corev1.Service{}, func(existing client.Object) bool {
		return equality.Semantic.DeepDerivative(desired.Spec, existing.(*corev1.Service).Spec)
	})
}

func (r *VaultAppReconciler) applyServiceMonitor(ctx context.Context, app *appv1alpha1.VaultApp, portName string) error {
	interval := app.Spec.Monitoring.Interval
	if interval == "" {
		interval = "30s"
	}
	desired := &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.ServiceMonitorsKind},
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace, Labels: managedLabels(app)},
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{appv1alpha1.VaultAppNameLabel: app.Name, appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue}},
			Endpoints: []monitoringv1.Endpoint{{Port: portName, Path: app.Spec.Monitoring.Path,
				Interval: monitoringv1.Duration(interval)}},
		},
	}
	return r.applyIfChanged(ctx, app, desired, &monitoringv1.ServiceMonitor{}, func(existing client.Object) bool {
		return equality.Semantic.DeepDerivative(desired.Spec, existing.(*monitoringv1.ServiceMonitor).Spec)
	})
}

// applyIfChanged applies desired server-side unless the existing object
// (read into into) is owned by app, carries its labels and same() holds.
func (r *VaultAppReconciler) applyIfChanged(ctx context.Context, app *appv1alpha1.VaultApp, desired, into client.Object, same func(client.Object) bool) error {
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), into)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err == nil && ownedBy(into, app) && into.GetLabels()[appv1alpha1.ManagedByLabel] == appv1alpha1.ManagedByValue && same(into) {
		return nil
	}
	desired.SetOwnerReferences([]metav1.OwnerReference{controllerRef(app)})
	if err := r.Client.Apply(ctx, toApplyConfiguration(desired), FieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("failed to apply %s %s: %w", desired.GetObjectKind().GroupVersionKind().Kind, desired.GetName(), err)
	}
	return nil
}

// deleteOwned deletes the object named like app if app owns it.
func (r *VaultAppReconciler) deleteOwned(ctx context.Context, app *appv1alpha1.VaultApp, obj client.Object) error {
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: app.Name}, obj)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || !ownedBy(obj, app) {
		return err
	}
	return client.IgnoreNotFound(r.Client.Delete(ctx, obj))
}
