package desired

import (
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// DefaultScrapeInterval is the ServiceMonitor's interval when the spec has none.
const DefaultScrapeInterval = "30s"

// MetricsPort finds the named container port (the first named port when
// spec.monitoring.port is empty).
func MetricsPort(app *appv1alpha1.VaultApp) (corev1.ContainerPort, bool) {
	for _, c := range app.Spec.DeploymentSpec.Template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name != "" && (app.Spec.Monitoring.Port == "" || p.Name == app.Spec.Monitoring.Port) {
				return p, true
			}
		}
	}
	return corev1.ContainerPort{}, false
}

// Service exposes the metrics port (a ServiceMonitor selects Services, not pods).
func Service(app *appv1alpha1.VaultApp, port corev1.ContainerPort) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(app, app.Name),
		Spec: corev1.ServiceSpec{
			Selector: app.Spec.DeploymentSpec.Selector.MatchLabels,
			Ports: []corev1.ServicePort{{Name: port.Name, Port: port.ContainerPort, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromString(port.Name)}},
		},
	}
}

// ServiceMonitor makes Prometheus scrape the app's metrics Service.
func ServiceMonitor(app *appv1alpha1.VaultApp, portName string) *monitoringv1.ServiceMonitor {
	interval := app.Spec.Monitoring.Interval
	if interval == "" {
		interval = DefaultScrapeInterval
	}
	return &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.ServiceMonitorsKind},
		ObjectMeta: objectMeta(app, app.Name),
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{appv1alpha1.VaultAppNameLabel: app.Name, appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue}},
			Endpoints: []monitoringv1.Endpoint{{Port: portName, Path: app.Spec.Monitoring.Path,
				Interval: monitoringv1.Duration(interval)}},
		},
	}
}
