package e2e

import (
	"context"
	"path/filepath"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
)

// Get reads ns/name into obj and returns it, or the zero T (nil) when it
// cannot be read (absent or any error).
func Get[T client.Object](c client.Reader, ns, name string, obj T) T {
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		var zero T
		return zero
	}
	return obj
}

// Create creates every object and expects it to succeed.
func (e *Env) Create(objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, e.Client.Create(context.Background(), o)).To(Succeed())
	}
}

// Namespace creates a namespace of its own for one test: prefix plus a
// random suffix.
func (e *Env) Namespace(prefix string) string {
	ns := prefix + "-" + rand.String(5)
	ExpectWithOffset(1, e.EnsureNamespace(context.Background(), ns)).To(Succeed())
	return ns
}

// ApplyFile creates every object of a YAML file of the repository (path
// relative to its root), as `kubectl create -f` does.
func (e *Env) ApplyFile(rel string) {
	ExpectWithOffset(1, manifests.CreateFile(context.Background(), e.Client, filepath.Join(e.Root, rel))).To(Succeed())
}

// Gone returns a poller that is true once ns/name (of obj's kind) does
// not exist any more (read errors other than NotFound are not "gone").
func (e *Env) Gone(ns, name string, obj client.Object) func() bool {
	return func() bool {
		err := e.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj)
		return apierrors.IsNotFound(err)
	}
}

// ReplicaSets lists the ReplicaSets a Deployment owns.
func (e *Env) ReplicaSets(ns, deployment string) []appsv1.ReplicaSet {
	var list appsv1.ReplicaSetList
	_ = e.Client.List(context.Background(), &list, client.InNamespace(ns))
	var out []appsv1.ReplicaSet
	for _, rs := range list.Items {
		for _, ref := range rs.OwnerReferences {
			if ref.Kind == "Deployment" && ref.Name == deployment {
				out = append(out, rs)
			}
		}
	}
	return out
}

// ReadyPods lists the pods with these labels that are Ready and not being deleted.
func (e *Env) ReadyPods(ns string, labels map[string]string) []corev1.Pod {
	var list corev1.PodList
	_ = e.Client.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels(labels))
	var out []corev1.Pod
	for _, p := range list.Items {
		if PodReady(&p) && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// PodReady tells whether the pod's Ready condition is True.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// RolledOut tells whether every replica of d runs its current template
// and is available (what `kubectl rollout status` waits for).
func RolledOut(d *appsv1.Deployment) bool {
	n := int32(1)
	if d.Spec.Replicas != nil {
		n = *d.Spec.Replicas
	}
	return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == n &&
		d.Status.AvailableReplicas == n && d.Status.Replicas == n
}
