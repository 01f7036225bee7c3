package operator

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// slimDeploymentMeta is the cache transform of Deployments. The operator
// watches Deployments as metadata only (push sync and the VaultApp
// controller both read a Deployment's spec and status with a direct GET
// when they reconcile it), and of that metadata keeps only what its
// predicates and event handlers read: identity, resource version,
// generation, deletion, finalizers, owner references (VaultApps) and the
// vault-sync.io annotations. Labels, other annotations (kubectl's
// last-applied copy of the object among them), timestamps and
// managedFields are dropped: at 10,000 Deployments they are most of the
// cache. So memory grows with the number of Deployments, not with their size.
func slimDeploymentMeta(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	out := &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion, Generation: m.Generation,
		DeletionTimestamp: m.DeletionTimestamp, Finalizers: m.Finalizers, OwnerReferences: m.OwnerReferences}}
	for k, v := range m.Annotations {
		if strings.HasPrefix(k, pushsync.AnnotationPrefix) {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	return out, nil
}
