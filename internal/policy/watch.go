package policy

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// Watches tells whether the policy reads VaultGrants, so that a controller
// watches them.
func (p *Policy) Watches() bool { return p != nil && p.Objects != nil }

// OnGrantChange is an event handler for VaultGrants: a created, changed or
// deleted grant enqueues the objects (listed by list) of the namespaces it
// names, so that a refusal is lifted, or a withdrawn grant enforced, at
// once. list returns the objects to reconcile in a namespace ("" for all).
func OnGrantChange(list func(ctx context.Context, namespace string) []reconcile.Request) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		g, ok := o.(*appv1alpha1.VaultGrant)
		if !ok {
			return nil
		}
		var out []reconcile.Request
		for _, ns := range g.Spec.Namespaces {
			if ns == "*" {
				return list(ctx, "")
			}
			out = append(out, list(ctx, ns)...)
		}
		return out
	})
}
