// Package desired builds the objects a VaultApp asks for — its Deployment,
// the metrics Service and the ServiceMonitor — as pure functions of the
// VaultApp, so the controller only compares and applies them.
package desired

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// Labels mark every object a VaultApp owns. The operator's caches select
// on them, so it never caches objects it does not manage.
func Labels(app *appv1alpha1.VaultApp) map[string]string {
	return map[string]string{
		appv1alpha1.ManagedByLabel:    appv1alpha1.ManagedByValue,
		appv1alpha1.VaultAppNameLabel: app.Name,
	}
}

// ControllerRef is the owner reference that makes app the controller of
// an object, so deleting the VaultApp garbage-collects it.
func ControllerRef(app *appv1alpha1.VaultApp) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{APIVersion: appv1alpha1.GroupVersion.String(), Kind: "VaultApp", Name: app.Name,
		UID: app.UID, Controller: &t, BlockOwnerDeletion: &t}
}

// objectMeta is the metadata of an owned object named name.
func objectMeta(app *appv1alpha1.VaultApp, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: app.Namespace, Labels: Labels(app),
		OwnerReferences: []metav1.OwnerReference{ControllerRef(app)}}
}

// HasLabels reports whether obj carries every label of want.
func HasLabels(obj metav1.Object, want map[string]string) bool {
	for k, v := range want {
		if obj.GetLabels()[k] != v {
			return false
		}
	}
	return true
}
