package vaultapp

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
)

// maxConditionMessage bounds condition messages.
const maxConditionMessage = 1024

// mark sets one condition, with the object's generation. Every condition
// is set through mark (and fail, which also records the event).
func mark(app *appv1alpha1.VaultApp, t string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&app.Status.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason,
		Message: kube.Truncate(msg, maxConditionMessage), ObservedGeneration: app.Generation})
}

// fail sets condition t to False with reason and err's message, records a
// Warning event with the same reason and message, and returns err: the
// condition, the event and the log always agree.
func (r *Reconciler) fail(ctx context.Context, app *appv1alpha1.VaultApp, t, reason string, err error) error {
	mark(app, t, metav1.ConditionFalse, reason, err.Error())
	r.Events.Warning(ctx, app, reason, err)
	return err
}

// patchStatus summarises the step conditions into Ready, records the
// observed generation and sends the status only when it changed.
func (r *Reconciler) patchStatus(ctx context.Context, app *appv1alpha1.VaultApp, before *appv1alpha1.VaultAppStatus) error {
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
			mark(app, appv1alpha1.ConditionReady, metav1.ConditionFalse, appv1alpha1.ReasonProgressing, "reconciliation has not reached "+t)
			return
		}
		if c.Status != metav1.ConditionTrue {
			mark(app, appv1alpha1.ConditionReady, metav1.ConditionFalse, c.Reason, c.Message)
			return
		}
	}
	mark(app, appv1alpha1.ConditionReady, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded, "secrets synced from vault, deployment available")
}
