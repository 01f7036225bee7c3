package operator

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// slimDeployment is the cache transform of Deployments. A Deployment a
// VaultApp controls is kept whole (the VaultApp controller compares it with
// its desired form and reads its status). Of any other, the cache keeps
// only what push sync and the event handlers read: identity, resource
// version, generation, deletion, finalizers, owner references, the
// vault-sync.io annotations (and the VaultApp adopt annotation), and, when
// it is annotated for push, of the pod template only the Secrets it
// references (compacted, pushsync.SecretReferences) and the service account
// (workload identity logs in as it). Labels, other annotations
// (kubectl's last-applied copy among them), images, commands, probes,
// resources, timestamps and managedFields are dropped: so memory grows with
// the number of Deployments, not with their size, and neither controller
// needs to read a Deployment from the API server.
func slimDeployment(obj any) (any, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return obj, nil
	}
	if ref := metav1.GetControllerOf(d); ref != nil && ref.Kind == "VaultApp" && ref.APIVersion == appv1alpha1.GroupVersion.String() {
		d.ManagedFields = nil
		return d, nil
	}
	out := &appsv1.Deployment{TypeMeta: d.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Name: d.Name, Namespace: d.Namespace, UID: d.UID, ResourceVersion: d.ResourceVersion, Generation: d.Generation,
		DeletionTimestamp: d.DeletionTimestamp, Finalizers: d.Finalizers, OwnerReferences: d.OwnerReferences}}
	for k, v := range d.Annotations {
		if strings.HasPrefix(k, pushsync.AnnotationPrefix) || k == appv1alpha1.AdoptAnnotation {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	if _, annotated := d.Annotations[pushsync.AnnotationPath]; annotated {
		out.Spec.Template = corev1.PodTemplateSpec{Spec: pushsync.SecretReferences(&d.Spec.Template.Spec)}
		out.Spec.Template.Spec.ServiceAccountName = d.Spec.Template.Spec.ServiceAccountName
	}
	return out, nil
}
