package vaultapp

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
)

// nameConflictRetry is when a VaultApp blocked by a name conflict looks
// again (the other object is not watched: nothing would wake it).
const nameConflictRetry = time.Minute

// nameConflict: an object with the name the VaultApp would write exists
// and is not the VaultApp's.
type nameConflict struct{ kind, namespace, name, app string }

func (e *nameConflict) Error() string {
	return fmt.Sprintf("%s %s/%s already exists and is not managed by this VaultApp: it is left untouched; rename the VaultApp, "+
		"remove or rename the %s, or let this VaultApp take it over by annotating it %s=%s",
		e.kind, e.namespace, e.name, e.kind, appv1alpha1.AdoptAnnotation, e.app)
}

// mayWrite checks an existing object (nil: none) before the VaultApp
// writes its own over it: only an object the VaultApp controls, or one a
// user explicitly handed to it (AdoptAnnotation, and no other controller),
// may be written. Nothing is ever taken over silently: deleting the
// VaultApp would garbage-collect it.
func mayWrite(app *appv1alpha1.VaultApp, kind string, existing client.Object) error {
	if existing == nil || kube.ControlledBy(existing, app) {
		return nil
	}
	if existing.GetAnnotations()[appv1alpha1.AdoptAnnotation] == app.Name && metav1.GetControllerOf(existing) == nil {
		return nil
	}
	return &nameConflict{kind: kind, namespace: existing.GetNamespace(), name: existing.GetName(), app: app.Name}
}

// existing reads the object named key into obj: from the cache, and on a
// cache miss from the API server (the cache holds only objects carrying
// the operator's labels, so an unlabelled object of the same name is found
// only there). It returns nil when there is none.
func (r *Reconciler) existing(ctx context.Context, key client.ObjectKey, obj client.Object) (client.Object, error) {
	err := r.Client.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) && r.APIReader != nil {
		err = r.APIReader.Get(ctx, key, obj)
	}
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// conflicted reports a name conflict on condition t and asks to look again later.
func (r *Reconciler) conflicted(ctx context.Context, app *appv1alpha1.VaultApp, t string, err error) ctrl.Result {
	_ = r.fail(ctx, app, t, appv1alpha1.ReasonNameConflict, err)
	return ctrl.Result{RequeueAfter: kube.Jitter(nameConflictRetry)}
}
