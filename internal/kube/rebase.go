package kube

import (
	"context"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PatchRebasing is Patch for an object others update often (a Deployment,
// whose status the deployment controller writes): when the patch
// conflicts, the object is read from live (the API server, not the cache)
// and, if nothing the change is based on moved — the finalizers and the
// annotations it sets or removes are as obj had them — the same change is
// sent once more at the live resourceVersion. Any other conflict is
// returned, to be retried from a fresh read as before. Without it every
// sync that follows a status update costs a conflict and a backoff.
func PatchRebasing(ctx context.Context, c client.Client, live client.Reader, obj client.Object, mutate func()) error {
	orig := obj.DeepCopyObject().(client.Object)
	err := Patch(ctx, c, obj, mutate)
	if !apierrors.IsConflict(err) || live == nil {
		return err
	}
	cur := orig.DeepCopyObject().(client.Object)
	if err2 := live.Get(ctx, client.ObjectKeyFromObject(orig), cur); err2 != nil {
		return err
	}
	if !slices.Equal(cur.GetFinalizers(), orig.GetFinalizers()) || !sameAnnotations(cur, orig, obj) {
		return err
	}
	orig.SetResourceVersion(cur.GetResourceVersion())
	obj.SetResourceVersion(cur.GetResourceVersion())
	return client.IgnoreNotFound(c.Patch(ctx, obj, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})))
}

// sameAnnotations reports whether cur has, for every annotation want sets
// differently from orig (or removes), the value orig had.
func sameAnnotations(cur, orig, want client.Object) bool {
	o, c, w := orig.GetAnnotations(), cur.GetAnnotations(), want.GetAnnotations()
	keys := slices.Collect(maps.Keys(o))
	keys = append(keys, slices.Collect(maps.Keys(w))...)
	for _, k := range keys {
		ov, oOK := o[k]
		wv, wOK := w[k]
		if ov == wv && oOK == wOK {
			continue // not part of the change
		}
		if cv, cOK := c[k]; cv != ov || cOK != oOK {
			return false
		}
	}
	return true
}
