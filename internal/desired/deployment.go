package desired

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// Deployment is the Deployment a VaultApp asks for: its spec, with the
// Secret mounted read-only at /etc/secrets/vault in every container and,
// unless rolloutStrategy is none, the secret version in the pod template
// so that pods roll exactly when the data changes.
func Deployment(app *appv1alpha1.VaultApp, version string) *appsv1.Deployment {
	spec := *app.Spec.DeploymentSpec.DeepCopy()
	tpl := &spec.Template
	if tpl.Annotations == nil {
		tpl.Annotations = map[string]string{}
	}
	if app.Spec.RolloutStrategy != appv1alpha1.RolloutNone {
		// With "none" the template never mentions the data, and the kubelet
		// refreshes the mounted files in place.
		tpl.Annotations[appv1alpha1.SecretVersionAnnotation] = version
	}
	tpl.Spec.Volumes = withVolume(tpl.Spec.Volumes, corev1.Volume{Name: appv1alpha1.SecretsVolumeName,
		VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: appv1alpha1.SecretNameFor(app.Name)}}})
	mount := corev1.VolumeMount{Name: appv1alpha1.SecretsVolumeName, MountPath: appv1alpha1.SecretsMountPath, ReadOnly: true}
	for i := range tpl.Spec.Containers {
		tpl.Spec.Containers[i].VolumeMounts = withMount(tpl.Spec.Containers[i].VolumeMounts, mount)
	}
	for i := range tpl.Spec.InitContainers {
		tpl.Spec.InitContainers[i].VolumeMounts = withMount(tpl.Spec.InitContainers[i].VolumeMounts, mount)
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: objectMeta(app, app.Name),
		Spec:       spec,
	}
}

// DeploymentUpToDate: every field the operator sets has its value (fields
// it leaves empty may hold the API server's defaults).
func DeploymentUpToDate(desired, existing *appsv1.Deployment) bool {
	return HasLabels(existing, desired.Labels) && equality.Semantic.DeepDerivative(desired.Spec, existing.Spec)
}

// withVolume adds v, replacing a volume of the same name (never a duplicate).
func withVolume(vols []corev1.Volume, v corev1.Volume) []corev1.Volume {
	return upsert(vols, v, func(x corev1.Volume) string { return x.Name })
}

// withMount adds m, replacing a mount of the same volume (never a duplicate).
func withMount(mounts []corev1.VolumeMount, m corev1.VolumeMount) []corev1.VolumeMount {
	return upsert(mounts, m, func(x corev1.VolumeMount) string { return x.Name })
}

// upsert replaces the element with item's name, or appends item.
func upsert[T any](list []T, item T, name func(T) string) []T {
	for i := range list {
		if name(list[i]) == name(item) {
			list[i] = item
			return list
		}
	}
	return append(list, item)
}
