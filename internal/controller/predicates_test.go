package controller

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
