package push

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// trackFromCache tells the Tracker which Secrets an annotated Deployment
// uses as soon as the cache has the Deployment (on a standby replica too),
// not only at its first reconcile. After a start or a failover, thousands
// of Deployments wait in the queue's initial backlog at low priority; a
// Secret changed meanwhile then wakes its Deployment at normal priority,
// ahead of that backlog. readSecrets tracks again before every read, so
// this only moves the first registration earlier.
func (r *Reconciler) trackFromCache(mgr ctrl.Manager) error {
	inf, err := mgr.GetCache().GetInformer(context.Background(), &appsv1.Deployment{}, cache.BlockUntilSynced(false))
	if err != nil {
		return err
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    r.trackEarly,
		UpdateFunc: func(_, obj any) { r.trackEarly(obj) },
	})
	return err
}

func (r *Reconciler) trackEarly(obj any) {
	dep, ok := obj.(*appsv1.Deployment)
	if !ok || !dep.DeletionTimestamp.IsZero() {
		return
	}
	cfg, err := pushsync.ParseConfig(dep.Annotations)
	if err != nil || !cfg.Enabled {
		return
	}
	r.Tracker.Track(types.NamespacedName{Namespace: dep.Namespace, Name: dep.Name}, pushsync.SecretNames(cfg, &dep.Spec.Template.Spec))
}
