// Package push is the push-sync controller: Deployments annotated with
// vault-sync.io/path have the Secrets they reference written into Vault KV,
// and what was written is removed when the Deployment (or its annotation)
// goes. The rules of what to write live in internal/pushsync (no I/O); this
// package does the reading, writing and recording.
package push

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretwatch"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Reconciler pushes the Secrets of Deployments annotated with
// vault-sync.io/path into Vault, and removes what it wrote when the
// Deployment (or its annotation) goes.
type Reconciler struct {
	// Client reads and patches Deployments (reads go to the API server: the
	// cache holds their metadata only).
	Client client.Client
	// Secrets reads Secrets directly from the API server: they are never cached.
	Secrets client.Reader
	// Live reads a Deployment from the API server when a patch of its
	// record conflicts (kube.PatchRebasing); nil: no second attempt.
	Live client.Reader
	// Vault gives the Vault access acting for a Deployment: the operator's
	// own identity, or in workload-identity mode the Deployment's own
	// service account.
	Vault func(dep *appsv1.Deployment) vault.KVStore
	// Tracker maps Secret changes to the Deployments using them.
	Tracker *secretwatch.Tracker
	Events  kube.Events
	// ClusterName, when set, puts every path under clusters/<name>/ in its mount.
	ClusterName string
	// MaxConcurrentReconciles bounds parallel syncs.
	MaxConcurrentReconciles int
	// Policy, when set, limits the paths each namespace may write.
	Policy *policy.Policy
	// Key seals the records on Deployments and keys the data hash.
	Key mac.Key

	verified sync.Map // types.NamespacedName -> time.Time of the last Vault drift check
	// seen are the Deployments whose record this process found held in
	// Vault (or wrote itself); dirty those whose last write failed after
	// the record was written.
	seen, dirty sync.Map
	// mine is the MAC of the last record this process wrote per Deployment
	// (proof.go).
	mine sync.Map
}

func keyOf(dep *appsv1.Deployment) types.NamespacedName {
	return types.NamespacedName{Namespace: dep.Namespace, Name: dep.Name}
}

// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile handles deletion first, then a removed annotation, then an
// invalid one, and otherwise syncs.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var dep appsv1.Deployment
	if err := r.Client.Get(ctx, req.NamespacedName, &dep); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	cfg, cfgErr := pushsync.ParseConfig(dep.Annotations)
	rec := r.readRecord(ctx, &dep)
	switch {
	case !dep.DeletionTimestamp.IsZero():
		return ctrl.Result{}, r.finalize(ctx, &dep, cfg, rec)
	case !cfg.Enabled:
		return ctrl.Result{}, r.disable(ctx, &dep, rec)
	case cfgErr != nil:
		return ctrl.Result{}, r.failed(ctx, &dep, cfgErr)
	}
	return r.sync(ctx, &dep, cfg, rec)
}

// readRecord reads the Deployment's record of what was written. A record
// that does not verify (edited, copied from another object, corrupt, or
// from a version before records were sealed) is reported and not trusted:
// its locations are never re-recorded and only deleted where Vault proves
// this Deployment wrote them; the next sync writes a sealed record.
func (r *Reconciler) readRecord(ctx context.Context, dep *appsv1.Deployment) pushsync.Record {
	rec, present, err := pushsync.ReadRecord(dep.Annotations, r.Key, string(dep.UID))
	if err != nil {
		r.Events.Warning(ctx, dep, v1alpha1.ReasonRecordNotTrusted, err)
	} else if present && rec.Trusted.MAC == "" {
		r.Events.Warning(ctx, dep, v1alpha1.ReasonRecordNotTrusted, fmt.Errorf(
			"the %s annotation was not written by this operator for this Deployment (edited, copied from another object, or from a version before records were sealed): it is not trusted; the locations it names are deleted only where Vault's metadata proves this Deployment wrote them, and the next sync records what is written",
			pushsync.AnnotationState))
	}
	return rec
}

// owner is how the Deployment is named in the custom metadata of what is
// written for it.
func (r *Reconciler) owner(dep *appsv1.Deployment) vault.Owner {
	return vault.NewOwner(r.ClusterName, dep.Namespace, "Deployment", dep.Name, string(dep.UID))
}

// forget drops what is kept in memory about a Deployment that is gone.
func (r *Reconciler) forget(key types.NamespacedName) {
	r.Tracker.Forget(key)
	r.verified.Delete(key)
	r.seen.Delete(key)
	r.dirty.Delete(key)
	r.mine.Delete(key)
}

// SetupWithManager watches annotated Deployments (and those still carrying
// the finalizer), and the Secrets they use through the Tracker.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		Named("push-sync").
		// The cache keeps Deployments slimmed to what push sync reads (see
		// the operator's cache transform): no GET per reconcile.
		For(&appsv1.Deployment{}, builder.WithPredicates(deploymentPredicates()...)).
		WatchesRawSource(r.Tracker).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: r.MaxConcurrentReconciles,
			RateLimiter:             kube.RateLimiter(),
		})
	if r.Policy.Watches() {
		b = b.Watches(&v1alpha1.VaultGrant{}, policy.OnGrantChange(r.deploymentsIn))
	}
	if err := r.trackFromCache(mgr); err != nil {
		return err
	}
	return b.Complete(r)
}

// deploymentsIn lists the Deployments annotated for push sync in a
// namespace ("" for all), from the metadata cache.
func (r *Reconciler) deploymentsIn(ctx context.Context, namespace string) []reconcile.Request {
	var list appsv1.DeploymentList
	if err := r.Client.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if _, ok := list.Items[i].Annotations[pushsync.AnnotationPath]; ok {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// verifyDue reports whether the periodic drift check is due for key.
func (r *Reconciler) verifyDue(key types.NamespacedName, every time.Duration) bool {
	now := time.Now()
	last, ok := r.verified.Load(key)
	if !ok {
		// Right after start the data was either just written or is
		// believed intact: check at the first interval, not at once.
		r.verified.Store(key, now)
		return false
	}
	return now.Sub(last.(time.Time)) >= every-time.Second
}

var _ reconcile.Reconciler = &Reconciler{}
