package operator

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// slimDeployment is the cache transform of Deployments. Most Deployments
// in a cluster are neither annotated for push sync nor owned by a VaultApp;
// for those the cache keeps only metadata, so memory does not grow with
// pod templates the operator never reads. kubectl's last-applied
// annotation (a full copy of the object) is dropped from all of them.
func slimDeployment(obj any) (any, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return obj, nil
	}
	d.ManagedFields = nil
	delete(d.Annotations, "kubectl.kubernetes.io/last-applied-configuration")
	if relevantDeployment(d) {
		return d, nil
	}
	return &appsv1.Deployment{TypeMeta: d.TypeMeta, ObjectMeta: d.ObjectMeta}, nil
}

func relevantDeployment(d *appsv1.Deployment) bool {
	if _, ok := d.Annotations[pushsync.AnnotationPath]; ok {
		return true
	}
	for _, f := range d.Finalizers {
		if f == pushsync.Finalizer {
			return true
		}
	}
	for _, ref := range d.OwnerReferences {
		if ref.Kind == "VaultApp" && strings.HasPrefix(ref.APIVersion, "app.techweaver.io/") {
			return true
		}
	}
	return false
}
