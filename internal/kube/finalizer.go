package kube

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// SetFinalizer adds (present) or removes finalizer on obj with one merge
// patch; nothing is sent when it is already so. The resourceVersion in the
// patch turns a concurrent change into a conflict (and a retry) instead of
// overwriting finalizers others set. Only the finalizers are sent: other
// in-memory changes of obj (a status being built) are neither sent nor
// overwritten by the answer.
func SetFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string, present bool) error {
	if controllerutil.ContainsFinalizer(obj, finalizer) == present {
		return nil
	}
	cp := obj.DeepCopyObject().(client.Object)
	err := Patch(ctx, c, cp, func() {
		if present {
			controllerutil.AddFinalizer(cp, finalizer)
		} else {
			controllerutil.RemoveFinalizer(cp, finalizer)
		}
	})
	if err == nil {
		obj.SetFinalizers(cp.GetFinalizers())
		obj.SetResourceVersion(cp.GetResourceVersion())
	}
	return err
}

// Patch applies mutate to obj and sends the difference as one merge patch
// with optimistic locking; nothing is sent when mutate changed nothing. A
// deleted object is not an error.
func Patch(ctx context.Context, c client.Client, obj client.Object, mutate func()) error {
	orig := obj.DeepCopyObject().(client.Object)
	mutate()
	diff, err := client.MergeFrom(orig).Data(obj)
	if err != nil {
		return err
	}
	if string(diff) == "{}" {
		return nil
	}
	return client.IgnoreNotFound(c.Patch(ctx, obj, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})))
}
