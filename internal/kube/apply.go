package kube

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the server-side-apply field manager of everything the
// operator writes.
const FieldOwner = client.FieldOwner("vault-sync-operator")

// Apply writes the desired typed object server-side, as the operator's
// field manager, taking ownership of the fields it sets. Objects carry
// their TypeMeta (apply needs the kind).
func Apply(ctx context.Context, c client.Client, desired client.Object) error {
	return c.Apply(ctx, applyConfiguration(desired), FieldOwner, client.ForceOwnership)
}

// applyConfiguration turns a typed object into a server-side-apply
// request, leaving out the zero values a typed struct cannot omit.
func applyConfiguration(obj runtime.Object) runtime.ApplyConfiguration {
	m, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	return client.ApplyConfigurationFromUnstructured(u)
}

// ControlledBy reports whether the object with UID owner controls obj.
func ControlledBy(obj metav1.Object, owner metav1.Object) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.UID == owner.GetUID()
}
