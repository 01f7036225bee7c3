package operator

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// slimDeployment is the cache transform of Deployments. It keeps, of each
// Deployment, only what the operator reads:
//
//   - owned by a VaultApp: everything (the VaultApp controller compares
//     the spec it applied and reads the status);
//   - annotated for push sync (or still carrying its finalizer): metadata
//     and the pod template's references to Secrets, nothing else;
//   - any other Deployment: metadata only.
//
// So memory grows with what the operator manages, not with the size of the
// cluster's pod templates. kubectl's last-applied annotation (a full copy
// of the object) and managedFields are always dropped.
func slimDeployment(obj any) (any, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return obj, nil
	}
	d.ManagedFields = nil
	delete(d.Annotations, "kubectl.kubernetes.io/last-applied-configuration")
	switch {
	case ownedByVaultApp(d):
		return d, nil
	case pushSynced(d):
		return &appsv1.Deployment{TypeMeta: d.TypeMeta, ObjectMeta: slimMeta(&d.ObjectMeta), Spec: appsv1.DeploymentSpec{
			Template: corev1.PodTemplateSpec{Spec: secretReferences(&d.Spec.Template.Spec)}}}, nil
	default:
		return &appsv1.Deployment{TypeMeta: d.TypeMeta, ObjectMeta: slimMeta(&d.ObjectMeta)}, nil
	}
}

// slimMeta keeps the metadata push sync reads: identity, the version and
// generation its patches and predicates use, deletion, finalizers, and the
// vault-sync.io annotations. Labels, other annotations, owner references
// and timestamps are dropped: at 10,000 Deployments they are most of the
// cache.
func slimMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	out := metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, DeletionTimestamp: m.DeletionTimestamp, Finalizers: m.Finalizers}
	for k, v := range m.Annotations {
		if strings.HasPrefix(k, pushsync.AnnotationPrefix) {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	return out
}

func ownedByVaultApp(d *appsv1.Deployment) bool {
	for _, ref := range d.OwnerReferences {
		if ref.Kind == "VaultApp" && strings.HasPrefix(ref.APIVersion, "app.techweaver.io/") {
			return true
		}
	}
	return false
}

func pushSynced(d *appsv1.Deployment) bool {
	if _, ok := d.Annotations[pushsync.AnnotationPath]; ok {
		return true
	}
	for _, f := range d.Finalizers {
		if f == pushsync.Finalizer {
			return true
		}
	}
	return false
}

// secretReferences is the part of a pod spec that pushsync.ReferencedSecrets reads.
func secretReferences(spec *corev1.PodSpec) corev1.PodSpec {
	out := corev1.PodSpec{
		ServiceAccountName: spec.ServiceAccountName, // the identity in workload-identity mode
		InitContainers:     secretContainerRefs(spec.InitContainers),
		Containers:         secretContainerRefs(spec.Containers),
	}
	for _, ec := range spec.EphemeralContainers {
		if c := secretContainerRefs([]corev1.Container{corev1.Container(ec.EphemeralContainerCommon)}); len(c) > 0 {
			out.EphemeralContainers = append(out.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(c[0])})
		}
	}
	for _, v := range spec.Volumes {
		switch {
		case v.Secret != nil:
			out.Volumes = append(out.Volumes, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: v.Secret.SecretName}}})
		case v.Projected != nil:
			var srcs []corev1.VolumeProjection
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					srcs = append(srcs, corev1.VolumeProjection{Secret: &corev1.SecretProjection{LocalObjectReference: s.Secret.LocalObjectReference}})
				}
			}
			if len(srcs) > 0 {
				out.Volumes = append(out.Volumes, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: srcs}}})
			}
		}
	}
	return out
}

func secretContainerRefs(cs []corev1.Container) []corev1.Container {
	var out []corev1.Container
	for _, c := range cs {
		slim := corev1.Container{Name: c.Name}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				slim.EnvFrom = append(slim.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: e.SecretRef.LocalObjectReference}})
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				slim.Env = append(slim.Env, corev1.EnvVar{Name: e.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: e.ValueFrom.SecretKeyRef.LocalObjectReference, Key: e.ValueFrom.SecretKeyRef.Key}}})
			}
		}
		if len(slim.EnvFrom) > 0 || len(slim.Env) > 0 {
			out = append(out, slim)
		}
	}
	return out
}
