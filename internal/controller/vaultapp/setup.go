package vaultapp

import (
	"context"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// SetupWithManager watches VaultApps and everything they own. The
// ServiceMonitor watch exists only when its CRD is installed.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	_, err := mgr.GetRESTMapper().RESTMapping(schema.GroupKind{Group: monitoringv1.SchemeGroupVersion.Group, Kind: monitoringv1.ServiceMonitorsKind}, "v1")
	r.serviceMonitors = err == nil
	r.leases = lease.NewBook()
	r.reads = newReadCache(max(r.DefaultRefresh, appv1alpha1.MaxRefreshInterval))
	b := ctrl.NewControllerManagedBy(mgr).
		Named("vaultapp").
		For(&appv1alpha1.VaultApp{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, refreshRequested{}))).
		Owns(&appsv1.Deployment{}, notCreated).
		Owns(&corev1.Secret{}, notCreated).
		Owns(&corev1.Service{}, notCreated).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles, RateLimiter: kube.RateLimiter()})
	if r.serviceMonitors {
		b = b.Owns(&monitoringv1.ServiceMonitor{}, notCreated)
	}
	if r.TokenReplaced != nil {
		b = b.WatchesRawSource(r.tokenReplacedSource())
	}
	if r.Policy.Watches() {
		b = b.Watches(&appv1alpha1.VaultGrant{}, policy.OnGrantChange(r.appsIn))
	}
	return b.Complete(r)
}

// notCreated drops the create events of owned objects: only a reconcile of
// their VaultApp creates them (at start the VaultApps' own events come
// anyway), so reconciling again because of them only repeats the work, a
// second reconcile per new VaultApp. Updates and deletions (drift, the
// Deployment's progress) still wake it.
var notCreated = builder.WithPredicates(predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }})

// appsIn lists the VaultApps of a namespace ("" for all) to reconcile.
func (r *Reconciler) appsIn(ctx context.Context, namespace string) []reconcile.Request {
	var list appv1alpha1.VaultAppList
	if err := r.Client.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil
	}
	out := make([]reconcile.Request, len(list.Items))
	for i := range list.Items {
		out[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}
	}
	return out
}

// tokenReplacedSource wakes the VaultApps holding leases of an identity
// whose Vault token was replaced: the token took its leases with it, so
// they look them up now rather than at their next renewal.
func (r *Reconciler) tokenReplacedSource() source.Source {
	wake := make(chan event.TypedGenericEvent[types.NamespacedName], 1024)
	r.TokenReplaced(func(id vault.Identity) {
		for _, app := range r.leases.HoldersOf(id) {
			wake <- event.TypedGenericEvent[types.NamespacedName]{Object: app}
		}
	})
	return source.Channel(wake, handler.TypedEnqueueRequestsFromMapFunc(
		func(_ context.Context, app types.NamespacedName) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: app}}
		}))
}

// refreshRequested passes an update that sets a new refresh request
// (vaultapp.techweaver.io/refresh-requested-at): annotations do not move
// the generation.
type refreshRequested struct{ predicate.Funcs }

func (refreshRequested) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	k := appv1alpha1.RefreshRequestedAnnotation
	return e.ObjectNew.GetAnnotations()[k] != e.ObjectOld.GetAnnotations()[k]
}
