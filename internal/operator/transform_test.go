package operator

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// TestSlimDeploymentKeepsEverySecretReference: the cache keeps exactly the
// references auto-discovery reads, and nothing else of the pod template.
func TestSlimDeploymentKeepsEverySecretReference(t *testing.T) {
	spec := corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init", Image: "i", EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "a"}}}}}},
		Containers: []corev1.Container{{Name: "c", Image: "big-image", Command: []string{"run"}, Env: []corev1.EnvVar{
			{Name: "X", Value: "plain"},
			{Name: "Y", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "b"}, Key: "k"}}},
		}}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "e",
			EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "e"}}}}}}},
		Volumes: []corev1.Volume{
			{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "c"}}},
			{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "d"}}}, {ConfigMap: &corev1.ConfigMapProjection{}}}}}},
			{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
	}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "x", Annotations: map[string]string{pushsync.AnnotationPath: "secret/x",
		"kubectl.kubernetes.io/last-applied-configuration": "{...}"}}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
	want := pushsync.ReferencedSecrets(&spec)
	out, _ := slimDeployment(d.DeepCopy())
	slim := out.(*appsv1.Deployment)
	if got := pushsync.ReferencedSecrets(&slim.Spec.Template.Spec); !slices.Equal(got, want) {
		t.Fatalf("references %v, want %v", got, want)
	}
	if slim.Spec.Template.Spec.Containers[0].Image != "" || len(slim.Spec.Template.Spec.Volumes) != 2 {
		t.Fatalf("kept more than references: %+v", slim.Spec.Template.Spec)
	}
	if _, ok := slim.Annotations["kubectl.kubernetes.io/last-applied-configuration"]; ok {
		t.Fatal("last-applied annotation kept")
	}
	other, _ := slimDeployment(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "y"}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: spec}}})
	if len(other.(*appsv1.Deployment).Spec.Template.Spec.Containers) != 0 {
		t.Fatal("unrelated Deployment kept its pod template")
	}
	owned := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "z", OwnerReferences: []metav1.OwnerReference{{APIVersion: "app.techweaver.io/v1alpha1", Kind: "VaultApp", Name: "z"}}},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
	kept, _ := slimDeployment(owned)
	if kept.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Image != "big-image" {
		t.Fatal("VaultApp-owned Deployment was slimmed")
	}
}
