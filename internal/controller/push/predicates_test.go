package push

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

func bumped(d *appsv1.Deployment) *appsv1.Deployment { d.Generation++; return d }

func replicas(d *appsv1.Deployment) *appsv1.Deployment {
	n := int32(5)
	d.Spec.Replicas = &n
	d.Generation++ // as the API server does
	return d
}

func TestNotOwnStateUpdate(t *testing.T) {
	p := notOwnStateUpdate{stateAnnotation: pushsync.AnnotationState, finalizer: pushsync.Finalizer}
	dep := func(ann map[string]string, fin ...string) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Annotations: ann, Finalizers: fin, Generation: 1}}
	}
	base := map[string]string{pushsync.AnnotationPath: "secret/x"}
	withState := map[string]string{pushsync.AnnotationPath: "secret/x", pushsync.AnnotationState: "{}"}
	cases := []struct {
		name     string
		old, new *appsv1.Deployment
		want     bool
	}{
		{"should drop the operator's own first patch", dep(base), dep(withState, pushsync.Finalizer), false},
		{"should drop it although the API server bumped the generation", dep(base), bumped(dep(withState, pushsync.Finalizer)), false},
		{"should pass a spec change", dep(withState, pushsync.Finalizer), replicas(dep(withState, pushsync.Finalizer)), true},
		{"should pass a changed path", dep(withState, pushsync.Finalizer), dep(map[string]string{pushsync.AnnotationPath: "secret/y", pushsync.AnnotationState: "{}"}, pushsync.Finalizer), true},
		{"should pass the removal of its finalizer", dep(withState, pushsync.Finalizer), dep(withState), true},
		{"should pass another finalizer", dep(withState, pushsync.Finalizer), dep(withState, pushsync.Finalizer, "other"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new}); got != tc.want {
				t.Fatalf("Update = %v, want %v", got, tc.want)
			}
			all := true
			for _, q := range deploymentPredicates() {
				all = all && q.Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new})
			}
			if all != tc.want {
				t.Fatalf("deploymentPredicates pass = %v, want %v", all, tc.want)
			}
		})
	}
}

// TestNotOwnStateUpdateOnMetadata: the predicate decides from metadata
// alone, as the metadata-only watch delivers it.
func TestNotOwnStateUpdateOnMetadata(t *testing.T) {
	p := notOwnStateUpdate{stateAnnotation: pushsync.AnnotationState, finalizer: pushsync.Finalizer}
	meta := func(gen int64, ann map[string]string, fin ...string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "d", Generation: gen, Annotations: ann, Finalizers: fin}}
	}
	base := map[string]string{pushsync.AnnotationPath: "secret/x"}
	s1 := map[string]string{pushsync.AnnotationPath: "secret/x", pushsync.AnnotationState: "1"}
	s2 := map[string]string{pushsync.AnnotationPath: "secret/x", pushsync.AnnotationState: "2"}
	for _, tc := range []struct {
		name     string
		old, new *metav1.PartialObjectMetadata
		want     bool
	}{
		{"first patch: state and finalizer, generation +1", meta(1, base), meta(2, s1, pushsync.Finalizer), false},
		{"state rewritten, generation +1", meta(2, s1, pushsync.Finalizer), meta(3, s2, pushsync.Finalizer), false},
		{"spec change: generation +1, state untouched", meta(2, s1, pushsync.Finalizer), meta(3, s1, pushsync.Finalizer), true},
		{"status only: nothing moves", meta(2, s1, pushsync.Finalizer), meta(2, s1, pushsync.Finalizer), false},
		{"our patch and a spec change in one event", meta(2, s1, pushsync.Finalizer), meta(4, s2, pushsync.Finalizer), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new}); got != tc.want {
				t.Fatalf("Update = %v, want %v", got, tc.want)
			}
		})
	}
}
