package push

import (
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

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

// notOwnStateUpdate drops the update event caused by the operator's own
// patch (state annotation written, finalizer added): reconciling it again
// would only re-read the Secrets to find nothing to do. It reads metadata
// only (Deployments are watched as metadata): the API server bumps a
// Deployment's generation on annotation changes too (they are copied to its
// ReplicaSets), so the operator's own patch moves the generation by at most
// one, while a spec change moves it without touching the state.
type notOwnStateUpdate struct {
	predicate.Funcs
	stateAnnotation, finalizer string
}

func (p notOwnStateUpdate) Update(e event.UpdateEvent) bool {
	o, n := e.ObjectOld, e.ObjectNew
	if o == nil || n == nil || !o.GetDeletionTimestamp().Equal(n.GetDeletionTimestamp()) {
		return true
	}
	if !equalExcept(o.GetAnnotations(), n.GetAnnotations(), p.stateAnnotation) {
		return true
	}
	oldF, newF := without(o.GetFinalizers(), p.finalizer), without(n.GetFinalizers(), p.finalizer)
	hadOurs, hasOurs := slices.Contains(o.GetFinalizers(), p.finalizer), slices.Contains(n.GetFinalizers(), p.finalizer)
	if (hadOurs && !hasOurs) || !slices.Equal(oldF, newF) {
		return true
	}
	generations := n.GetGeneration() - o.GetGeneration()
	if o.GetAnnotations()[p.stateAnnotation] != n.GetAnnotations()[p.stateAnnotation] || (!hadOurs && hasOurs) {
		return generations > 1 // our patch, plus a spec change folded into the same event
	}
	return generations != 0
}

func equalExcept(a, b map[string]string, skip string) bool {
	for k, v := range a {
		if k != skip && b[k] != v {
			return false
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && k != skip {
			return false
		}
	}
	return true
}

func without(list []string, s string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(x string) bool { return x == s })
}

// finalizersOrDeletionChanged passes updates that add or remove finalizers
// or start deletion: metadata changes that bump neither generation nor
// annotations.
type finalizersOrDeletionChanged struct{ predicate.Funcs }

func (finalizersOrDeletionChanged) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return true
	}
	return !slices.Equal(e.ObjectOld.GetFinalizers(), e.ObjectNew.GetFinalizers()) ||
		!e.ObjectOld.GetDeletionTimestamp().Equal(e.ObjectNew.GetDeletionTimestamp())
}
