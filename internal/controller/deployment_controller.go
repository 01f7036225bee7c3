package controller

import (
	"context"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretwatch"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// KVStore is the part of the Vault client push sync uses.
type KVStore interface {
	ResolveKV(ctx context.Context, path string) (vault.Location, error)
	ReadKV(ctx context.Context, loc vault.Location) (*vault.KVSecret, error)
	WriteOwned(ctx context.Context, loc vault.Location, data map[string]any, owner vault.Owner, known bool) error
	DeleteOwned(ctx context.Context, loc vault.Location, owner vault.Owner) error
}

// DeploymentReconciler pushes the Secrets of Deployments annotated with
// vault-sync.io/path into Vault, and removes what it wrote when the
// Deployment (or its annotation) goes.
type DeploymentReconciler struct {
	// Client reads Deployments from the cache and patches them.
	Client client.Client
	// Secrets reads Secrets directly from the API server: they are never cached.
	Secrets client.Reader
	// Vault is the operator's own session; VaultFor, when set
	// (workload-identity mode), gives the session of the Deployment's own
	// service account instead.
	Vault    KVStore
	VaultFor func(dep *appsv1.Deployment) KVStore
	// Tracker maps Secret changes to the Deployments using them.
	Tracker  *secretwatch.Tracker
	Recorder EventRecorder
	// ClusterName, when set, puts every path under clusters/<name>/ in its mount.
	ClusterName string
	// MaxConcurrentReconciles bounds parallel syncs.
	MaxConcurrentReconciles int
	// Policy, when set, limits the paths each namespace may write (operator-identity mode).
	Policy *policy.Policy

	verified sync.Map // types.NamespacedName -> time.Time of the last Vault drift check
}

// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;patch;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile handles deletion first, then a removed annotation, then an
// invalid one, and otherwise syncs.
func (r *DeploymentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var dep appsv1.Deployment
	if err := r.Client.Get(ctx, req.NamespacedName, &dep); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	cfg, cfgErr := pushsync.ParseConfig(dep.Annotations)
	state, stateErr := pushsync.ReadState(dep.Annotations)
	if stateErr != nil {
		// Without a trustworthy record nothing may be deleted; the next
		// successful sync rewrites the record.
		r.warn(ctx, &dep, ReasonInvalidConfig, stateErr)
	}
	switch {
	case !dep.DeletionTimestamp.IsZero():
		return ctrl.Result{}, r.finalize(ctx, &dep, cfg, cfgErr, state)
	case !cfg.Enabled:
		return ctrl.Result{}, r.disable(ctx, &dep, state)
	case cfgErr != nil:
		return ctrl.Result{}, r.invalidConfig(ctx, &dep, cfgErr)
	}
	return r.sync(ctx, &dep, cfg, state)
}

// owner is how the Deployment is named in the custom metadata of what is
// written for it.
// kv is the Vault client acting for dep.
func (r *DeploymentReconciler) kv(dep *appsv1.Deployment) KVStore {
	if r.VaultFor != nil {
		return r.VaultFor(dep)
	}
	return r.Vault
}

func (r *DeploymentReconciler) owner(dep *appsv1.Deployment) vault.Owner {
	return vault.NewOwner(r.ClusterName, dep.Namespace, "Deployment", dep.Name)
}

// forget drops what is kept in memory about a Deployment that is gone.
func (r *DeploymentReconciler) forget(key types.NamespacedName) {
	r.Tracker.Forget(key)
	r.verified.Delete(key)
}

// SetupWithManager watches annotated Deployments (and those still carrying
// the finalizer), and the Secrets they use through the Tracker.
func (r *DeploymentReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("push-sync").
		// Metadata only: the spec is read with a GET when a Deployment is
		// reconciled (the manager's client reads Deployments uncached).
		For(&appsv1.Deployment{}, builder.OnlyMetadata, builder.WithPredicates(deploymentPredicates()...)).
		WatchesRawSource(r.Tracker).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: r.MaxConcurrentReconciles,
			RateLimiter:             newRateLimiter(),
		}).
		Complete(r)
}

// deploymentPredicates pass Deployments annotated for push sync (or still
// carrying its finalizer), and only changes that matter to it: spec,
// annotations, finalizers, deletion — not status updates, and not the
// operator's own state patch.
func deploymentPredicates() []predicate.Predicate {
	relevant := predicate.NewPredicateFuncs(func(o client.Object) bool {
		_, ok := o.GetAnnotations()[pushsync.AnnotationPath]
		return ok || controllerutil.ContainsFinalizer(o, pushsync.Finalizer)
	})
	changed := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, finalizersOrDeletionChanged{})
	return []predicate.Predicate{relevant, changed,
		notOwnStateUpdate{stateAnnotation: pushsync.AnnotationState, finalizer: pushsync.Finalizer}}
}

// secretsOf reads the named Secrets of a namespace from the API server.
func (r *DeploymentReconciler) secretsOf(ctx context.Context, namespace string, names []string) (map[string]*corev1.Secret, error) {
	out := make(map[string]*corev1.Secret, len(names))
	for _, n := range names {
		var s corev1.Secret
		if err := r.Secrets.Get(ctx, types.NamespacedName{Namespace: namespace, Name: n}, &s); err != nil {
			return nil, &secretReadError{name: n, err: err}
		}
		out[n] = &s
	}
	return out, nil
}

// verifyDue reports whether the periodic drift check is due for key.
func (r *DeploymentReconciler) verifyDue(key types.NamespacedName, every time.Duration) bool {
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
