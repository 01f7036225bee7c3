package push

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// record stores state, sealed for this Deployment, in its annotation and
// sets or removes the finalizer, in one patch. Nothing is sent when
// nothing changes.
func (r *Reconciler) record(ctx context.Context, dep *appsv1.Deployment, state pushsync.State, keepFinalizer bool) error {
	var sealed pushsync.State
	if len(state.Locations) > 0 {
		sealed = state.Seal(r.Key, string(dep.UID))
	}
	err := kube.PatchRebasing(ctx, r.Client, r.Live, dep, func() {
		if len(state.Locations) > 0 {
			if dep.Annotations == nil {
				dep.Annotations = map[string]string{}
			}
			dep.Annotations[pushsync.AnnotationState] = sealed.Encode()
		} else {
			delete(dep.Annotations, pushsync.AnnotationState)
		}
		if keepFinalizer {
			controllerutil.AddFinalizer(dep, pushsync.Finalizer)
		} else {
			controllerutil.RemoveFinalizer(dep, pushsync.Finalizer)
		}
	})
	if err != nil {
		// The patch may have landed or not: trust neither record.
		r.doubt(dep)
		return err
	}
	r.remember(dep, sealed)
	return nil
}
