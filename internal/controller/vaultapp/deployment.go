package vaultapp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/desired"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
)

// msgRollingOut is the DeploymentReady message while the Deployment
// controller has not caught up with the applied spec (the same whether the
// operator just applied it or finds it so later: no status write between).
const msgRollingOut = "waiting for the deployment controller to roll out the current spec"

// reconcileDeployment runs the app's Deployment with the Secret mounted and
// the secret version in the pod template, so pods roll exactly when the
// data changes. The existing object is compared semantically (ignoring
// fields the API server defaults) and applied server-side only on a real
// difference: no endless updates, and a hand edit is reverted. A rollout
// caused by rotated data may have to wait its turn (--max-rollouts-per-second).
// Nothing happens before the first Secret exists.
//
// Conditions: DeploymentReady.
func (r *Reconciler) reconcileDeployment(ctx context.Context, p *pass) (ctrl.Result, error) {
	if p.version == "" {
		return ctrl.Result{}, nil
	}
	app := p.app
	want := desired.Deployment(app, p.version)
	existing := &appsv1.Deployment{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), existing)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	if err == nil {
		if err := mayWrite(app, "Deployment", existing); err != nil {
			return r.conflicted(ctx, app, appv1alpha1.ConditionDeploymentReady, err), nil
		}
	}
	if err == nil && kube.ControlledBy(existing, app) && desired.DeploymentUpToDate(want, existing) {
		metrics.SetRolloutQueued(app.Namespace, app.Name, false)
		status, reason, msg := deploymentReadiness(existing)
		mark(app, appv1alpha1.ConditionDeploymentReady, status, reason, msg)
		return ctrl.Result{}, nil
	}
	wait := r.rolloutWait(existing, want)
	metrics.SetRolloutQueued(app.Namespace, app.Name, wait > 0)
	if wait > 0 {
		p.rolloutPending = true
		if p.rolloutReason != "" {
			r.queuedReasons.Store(client.ObjectKeyFromObject(app), p.rolloutReason)
		}
		mark(app, appv1alpha1.ConditionDeploymentReady, metav1.ConditionFalse, appv1alpha1.ReasonRolloutQueued,
			fmt.Sprintf("new secret version %s is in the Secret; the rollout starts in %s (at most %g rotation rollouts per second, --max-rollouts-per-second)",
				p.version, wait.Round(time.Second), float64(r.Rollouts.Limit())))
		// The Secret is current; the rollout (and the revocation of
		// replaced leases, which waits for it) comes at its turn.
		return ctrl.Result{RequeueAfter: wait + time.Duration(rand.Int64N(int64(time.Second)))}, nil
	}
	if err := kube.Apply(ctx, r.Client, want); err != nil {
		err = fmt.Errorf("failed to apply deployment %s: %w", want.Name, err)
		return ctrl.Result{}, r.fail(ctx, app, appv1alpha1.ConditionDeploymentReady, appv1alpha1.ReasonDeploymentApplyFailed, err)
	}
	r.countRollout(app, existing, want, p.rolloutReason)
	// Just created or changed: the cached status describes the old spec.
	// The Deployment's own update wakes the next reconcile.
	mark(app, appv1alpha1.ConditionDeploymentReady, metav1.ConditionFalse, appv1alpha1.ReasonDeploymentProgressing, msgRollingOut)
	return ctrl.Result{}, nil
}

// countRollout records a rollout the operator just started on an existing
// Deployment (its pod template changed), with why: the counter
// vaultapp_rollouts_total{reason} and a RolloutStarted event.
func (r *Reconciler) countRollout(app *appv1alpha1.VaultApp, existing, want *appsv1.Deployment, reason string) {
	if existing.Name == "" || equality.Semantic.DeepDerivative(want.Spec.Template, existing.Spec.Template) {
		return // created, or no new pods
	}
	v := appv1alpha1.SecretVersionAnnotation
	queued, _ := r.queuedReasons.LoadAndDelete(client.ObjectKeyFromObject(app))
	switch {
	case existing.Spec.Template.Annotations[v] == want.Spec.Template.Annotations[v]:
		reason = rolloutSpecChanged
	case reason == "" && queued != nil:
		reason = queued.(string) // written by the reconcile that queued the rollout
	case reason == "":
		reason = rolloutDataChanged // the new Secret was written by an earlier reconcile
	}
	metrics.VaultAppRollouts.WithLabelValues(reason).Inc()
	r.Events.Normal(app, appv1alpha1.ReasonRolloutStarted, fmt.Sprintf("rolling out deployment %s (%s): %s", want.Name, reason, rolloutWhy[reason]))
}

// rolloutWait throttles rollouts caused by rotated data (the secret-version
// annotation changes on an existing Deployment), so that a value shared by
// hundreds of VaultApps does not restart them all at once. Creations and
// the user's own spec changes are not throttled.
func (r *Reconciler) rolloutWait(existing, want *appsv1.Deployment) time.Duration {
	if r.Rollouts == nil || existing.Name == "" {
		return 0
	}
	v := appv1alpha1.SecretVersionAnnotation
	if existing.Spec.Template.Annotations[v] == want.Spec.Template.Annotations[v] {
		return 0
	}
	res := r.Rollouts.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel() // the next attempt takes its own turn
		return d
	}
	return 0
}

// deploymentReadiness reads the Deployment's own status: ready when every
// replica runs the current template and is available; otherwise the
// Deployment's own reason (e.g. ProgressDeadlineExceeded) is passed on.
func deploymentReadiness(d *appsv1.Deployment) (metav1.ConditionStatus, string, string) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	if d.Generation == 0 || st.ObservedGeneration < d.Generation {
		return metav1.ConditionFalse, appv1alpha1.ReasonDeploymentProgressing, msgRollingOut
	}
	if st.UpdatedReplicas == want && st.AvailableReplicas == want && st.Replicas == want {
		return metav1.ConditionTrue, appv1alpha1.ReasonDeploymentAvailable, fmt.Sprintf("%d/%d replicas available", st.AvailableReplicas, want)
	}
	msg := fmt.Sprintf("%d/%d replicas updated, %d available", st.UpdatedReplicas, want, st.AvailableReplicas)
	// A stalled rollout (Progressing=False, e.g. ProgressDeadlineExceeded)
	// says more than Available=False (MinimumReplicasUnavailable).
	failing := map[appsv1.DeploymentConditionType]corev1.ConditionStatus{appsv1.DeploymentProgressing: corev1.ConditionFalse,
		appsv1.DeploymentReplicaFailure: corev1.ConditionTrue, appsv1.DeploymentAvailable: corev1.ConditionFalse}
	for _, t := range []appsv1.DeploymentConditionType{appsv1.DeploymentProgressing, appsv1.DeploymentReplicaFailure, appsv1.DeploymentAvailable} {
		for _, c := range st.Conditions {
			if c.Type == t && c.Status == failing[t] && c.Reason != "" {
				return metav1.ConditionFalse, c.Reason, msg + ": " + c.Message
			}
		}
	}
	return metav1.ConditionFalse, appv1alpha1.ReasonDeploymentProgressing, msg
}
