package controller

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// managedLabels mark every object a VaultApp owns. The operator's caches
// select on them, so it never caches objects it does not manage.
func managedLabels(app *appv1alpha1.VaultApp) map[string]string {
	return map[string]string{
		appv1alpha1.ManagedByLabel:    appv1alpha1.ManagedByValue,
		appv1alpha1.VaultAppNameLabel: app.Name,
	}
}

// ownerRef makes app the controller of an object, so deleting the VaultApp
// garbage-collects it.
func ownerRef(app *appv1alpha1.VaultApp) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(appv1alpha1.GroupVersion.String()).
		WithKind("VaultApp").
		WithName(app.Name).
		WithUID(app.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

// ownedBy reports whether app controls obj.
func ownedBy(obj metav1.Object, app *appv1alpha1.VaultApp) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.UID == app.UID
}
