package desired

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

func app() *appv1alpha1.VaultApp {
	labels := map[string]string{"app": "a"}
	return &appv1alpha1.VaultApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a", UID: "uid-1"},
		Spec: appv1alpha1.VaultAppSpec{DeploymentSpec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init"}},
				Containers:     []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{ContainerPort: 80}, {Name: "metrics", ContainerPort: 9090}}}}}}}},
	}
}

func TestDeploymentMountsTheSecretEverywhereOnce(t *testing.T) {
	a := app()
	a.Spec.DeploymentSpec.Template.Spec.Volumes = []corev1.Volume{{Name: appv1alpha1.SecretsVolumeName}}
	d := Deployment(a, "v1")
	a.Spec.DeploymentSpec = d.Spec // re-applying on its own output
	d2 := Deployment(a, "v1")
	if n := len(d2.Spec.Template.Spec.Volumes); n != 1 || d2.Spec.Template.Spec.Volumes[0].Secret.SecretName != "a-vault-secrets" {
		t.Fatalf("volumes = %+v", d2.Spec.Template.Spec.Volumes)
	}
	for _, c := range append(d2.Spec.Template.Spec.InitContainers, d2.Spec.Template.Spec.Containers...) {
		if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != appv1alpha1.SecretsMountPath || !c.VolumeMounts[0].ReadOnly {
			t.Fatalf("container %s mounts = %+v", c.Name, c.VolumeMounts)
		}
	}
	if d2.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation] != "v1" || d2.OwnerReferences[0].UID != "uid-1" {
		t.Fatalf("template annotations %v, owners %v", d2.Spec.Template.Annotations, d2.OwnerReferences)
	}
}

func TestDeploymentWithRolloutNoneNeverMentionsTheData(t *testing.T) {
	a := app()
	a.Spec.RolloutStrategy = appv1alpha1.RolloutNone
	if v, ok := Deployment(a, "v1").Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]; ok {
		t.Fatalf("secret version %q in the template: the pods would roll", v)
	}
}

func TestDeploymentUpToDateIgnoresDefaultsButNotChanges(t *testing.T) {
	want := Deployment(app(), "v1")
	existing := want.DeepCopy()
	existing.Spec.RevisionHistoryLimit = new(int32) // a field the API server defaults
	existing.Labels["extra"] = "x"
	if !DeploymentUpToDate(want, existing) {
		t.Fatal("defaults and extra labels count as a difference: endless updates")
	}
	existing.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation] = "v0"
	if DeploymentUpToDate(want, existing) {
		t.Fatal("a changed secret version is not a difference: no rollout")
	}
}

func TestMetricsPortIsTheNamedOrFirstNamedPort(t *testing.T) {
	a := app()
	a.Spec.Monitoring = &appv1alpha1.MonitoringSpec{Enabled: true}
	if p, ok := MetricsPort(a); !ok || p.Name != "metrics" {
		t.Fatalf("port = %+v, %v", p, ok)
	}
	a.Spec.Monitoring.Port = "http"
	if _, ok := MetricsPort(a); ok {
		t.Fatal("found a port that does not exist")
	}
	svc, sm := Service(a, corev1.ContainerPort{Name: "metrics", ContainerPort: 9090}), ServiceMonitor(a, "metrics")
	if svc.Spec.Ports[0].TargetPort.StrVal != "metrics" || sm.Spec.Endpoints[0].Interval != DefaultScrapeInterval {
		t.Fatalf("service %+v, servicemonitor %+v", svc.Spec, sm.Spec)
	}
}
