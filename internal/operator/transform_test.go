package operator

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

func fullDeployment() *appsv1.Deployment {
	now := metav1.Now()
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns", UID: "u", ResourceVersion: "7", Generation: 3,
			DeletionTimestamp: &now, Finalizers: []string{pushsync.Finalizer}, CreationTimestamp: now,
			Labels:        map[string]string{"app": "x"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			Annotations: map[string]string{pushsync.AnnotationPath: "secret/x", pushsync.AnnotationState: "{}", appv1alpha1.AdoptAnnotation: "x",
				"kubectl.kubernetes.io/last-applied-configuration": "{...}", "deployment.kubernetes.io/revision": "2"}},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			ServiceAccountName: "app",
			Containers: []corev1.Container{{Name: "app", Image: "big/image:1", Command: []string{"run"},
				EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}}},
				Env:     []corev1.EnvVar{{Name: "PLAIN", Value: "v"}, {Name: "K", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "api"}, Key: "k"}}}}}},
			Volumes: []corev1.Volume{{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}},
				{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}}},
		}}},
	}
}

// TestSlimDeploymentKeepsWhatTheControllersRead: the cached Deployment
// keeps what predicates, owner handlers and push sync read — including
// every Secret its pod template references — and drops the rest.
func TestSlimDeploymentKeepsWhatTheControllersRead(t *testing.T) {
	in := fullDeployment()
	out, err := slimDeployment(in.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	m := out.(*appsv1.Deployment)
	if m.Name != "x" || m.Namespace != "ns" || m.UID != "u" || m.ResourceVersion != "7" || m.Generation != 3 ||
		m.DeletionTimestamp == nil || len(m.Finalizers) != 1 || m.Kind != "Deployment" {
		t.Fatalf("lost what the controllers read: %+v", m.ObjectMeta)
	}
	if m.Spec.Template.Spec.ServiceAccountName != "app" {
		t.Fatal("lost the service account workload identity logs in as")
	}
	if len(m.Annotations) != 3 || m.Annotations[pushsync.AnnotationPath] != "secret/x" || m.Annotations[appv1alpha1.AdoptAnnotation] != "x" {
		t.Fatalf("annotations = %v", m.Annotations)
	}
	if m.Labels != nil || m.ManagedFields != nil || !m.CreationTimestamp.IsZero() || len(m.Spec.Template.Spec.Containers) != 1 ||
		m.Spec.Template.Spec.Containers[0].Image != "" || len(m.Spec.Template.Spec.Containers[0].Env) != 0 || len(m.Spec.Template.Spec.Volumes) != 0 {
		t.Fatalf("kept what nobody reads: %+v", m)
	}
	got, want := pushsync.ReferencedSecrets(&m.Spec.Template.Spec), pushsync.ReferencedSecrets(&in.Spec.Template.Spec)
	if len(got) != 3 || len(got) != len(want) {
		t.Fatalf("referenced Secrets %v, want %v", got, want)
	}
}

// A Deployment not annotated for push keeps no pod template at all: in a
// cluster of many Deployments, few of which are annotated, the cache holds
// little more than their names.
func TestSlimDeploymentOfAnUnannotatedDeploymentHasNoTemplate(t *testing.T) {
	in := fullDeployment()
	delete(in.Annotations, pushsync.AnnotationPath)
	out, _ := slimDeployment(in.DeepCopy())
	m := out.(*appsv1.Deployment)
	if !reflect.DeepEqual(m.Spec, appsv1.DeploymentSpec{}) || m.Annotations[appv1alpha1.AdoptAnnotation] != "x" {
		t.Fatalf("kept %+v of an unannotated Deployment", m.Spec)
	}
}

// TestSlimDeploymentKeepsAVaultAppsDeploymentWhole: the VaultApp
// controller compares its Deployments with their desired form.
func TestSlimDeploymentKeepsAVaultAppsDeploymentWhole(t *testing.T) {
	in := fullDeployment()
	yes := true
	in.OwnerReferences = []metav1.OwnerReference{{APIVersion: appv1alpha1.GroupVersion.String(), Kind: "VaultApp", Name: "x", Controller: &yes}}
	out, _ := slimDeployment(in.DeepCopy())
	m := out.(*appsv1.Deployment)
	if m.Spec.Template.Spec.Containers[0].Image != "big/image:1" || m.Labels["app"] != "x" || m.ManagedFields != nil {
		t.Fatalf("a VaultApp's Deployment was slimmed: %+v", m)
	}
}
