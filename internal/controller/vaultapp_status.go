package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// patchStatus summarises the step conditions into Ready, records the
// observed generation and sends the status only when it changed.
func (r *VaultAppReconciler) patchStatus(ctx context.Context, app *appv1alpha1.VaultApp, before *appv1alpha1.VaultAppStatus) error {
	summarizeReady(app)
	app.Status.ObservedGeneration = app.Generation
	if equality.Semantic.DeepEqual(before, &app.Status) {
		return nil
	}
	orig := app.DeepCopy()
	orig.Status = *before
	return client.IgnoreNotFound(r.Client.Status().Patch(ctx, app, client.MergeFrom(orig)))
}

// readyOrder is the order in which failing conditions explain Ready=False.
var readyOrder = []string{
	appv1alpha1.ConditionVaultAuthenticated,
	appv1alpha1.ConditionSecretsSynced,
	appv1alpha1.ConditionDeploymentReady,
	appv1alpha1.ConditionMonitoringReady,
	appv1alpha1.ConditionLeasesHealthy, // only with dynamic secrets
}

// summarizeReady sets Ready from the step conditions: True when all are
// True, otherwise False with the first failing step's reason and message.
func summarizeReady(app *appv1alpha1.VaultApp) {
	for _, t := range readyOrder {
		c := meta.FindStatusCondition(app.Status.Conditions, t)
		if c == nil && t == appv1alpha1.ConditionLeasesHealthy {
			continue
		}
		if c == nil {
			setCondition(app, appv1alpha1.ConditionReady, metav1.ConditionFalse, appv1alpha1.ReasonProgressing, "reconciliation has not reached "+t)
			return
		}
		if c.Status != metav1.ConditionTrue {
			setCondition(app, appv1alpha1.ConditionReady, metav1.ConditionFalse, c.Reason, c.Message)
			return
		}
	}
	setCondition(app, appv1alpha1.ConditionReady, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded, "secrets synced from vault, deployment available")
}

// controllerRef is the owner reference that makes app the controller.
func controllerRef(app *appv1alpha1.VaultApp) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{APIVersion: appv1alpha1.GroupVersion.String(), Kind: "VaultApp", Name: app.Name,
		UID: app.UID, Controller: &t, BlockOwnerDeletion: &t}
}
