package controller

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// reconcileDeployment runs the app's Deployment with the Secret mounted and
// the secret version in the pod template, so pods roll exactly when the
// data changes. The existing object is compared semantically (ignoring
// fields the API server defaults) and applied server-side only on a real
// difference: no endless updates, and a hand edit is reverted.
//
// Conditions: DeploymentReady.
func (r *VaultAppReconciler) reconcileDeployment(ctx context.Context, app *appv1alpha1.VaultApp, version string) error {
	desired := desiredDeployment(app, version)
	existing := &appsv1.Deployment{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err != nil || !deploymentUpToDate(desired, existing, app) {
		if wait := r.rolloutWait(existing, desired); wait > 0 {
			setCondition(app, appv1alpha1.ConditionDeploymentReady, metav1.ConditionFalse, appv1alpha1.ReasonRolloutQueued,
				fmt.Sprintf("new secret version %s is in the Secret; the rollout starts in %s (at most %g rotation rollouts per second, --max-rollouts-per-second)",
					version, wait.Round(time.Second), float64(r.Rollouts.Limit())))
			return &rolloutQueued{after: wait}
		}
		if err := r.Client.Apply(ctx, toApplyConfiguration(desired), FieldOwner, client.ForceOwnership); err != nil {
			err = fmt.Errorf("failed to apply deployment %s: %w", desired.Name, err)
			setCondition(app, appv1alpha1.ConditionDeploymentReady, metav1.ConditionFalse, appv1alpha1.ReasonDeploymentApplyFailed, err.Error())
			r.Recorder.Eventf(app, corev1.EventTypeWarning, appv1alpha1.ReasonDeploymentApplyFailed, "%s", truncate(err.Error(), 1000))
			return err
		}
		// Just created or changed: the cached status describes the old
		// spec. The Deployment's own update wakes the next reconcile.
		setCondition(app, appv1alpha1.ConditionDeploymentReady, metav1.ConditionFalse, appv1alpha1.ReasonDeploymentProgressing, msgRollingOut)
		return nil
	}
	status, reason, msg := deploymentReadiness(existing)
	setCondition(app, appv1alpha1.ConditionDeploymentReady, status, reason, msg)
	return nil
}

// msgRollingOut is the DeploymentReady message while the Deployment
// controller has not caught up with the applied spec (the same whether the
// operator just applied it or finds it so later: no status write between).
const msgRollingOut = "waiting for the deployment controller to roll out the current spec"

// rolloutQueued asks the caller to come back when the rollout may start.
type rolloutQueued struct{ after time.Duration }

func (e *rolloutQueued) Error() string { return "rollout queued for " + e.after.String() }

// rolloutWait throttles rollouts caused by rotated data (the secret-version
// annotation changes on an existing Deployment), so that a value shared by
// hundreds of VaultApps does not restart them all at once. Creations and
// the user's own spec changes are not throttled.
func (r *VaultAppReconciler) rolloutWait(existing, desired *appsv1.Deployment) time.Duration {
	if r.Rollouts == nil || existing.Name == "" {
		return 0
	}
	v := appv1alpha1.SecretVersionAnnotation
	if existing.Spec.Template.Annotations[v] == desired.Spec.Template.Annotations[v] {
		return 0
	}
	res := r.Rollouts.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel() // the next attempt takes its own turn
		return d
	}
	return 0
}

// desiredDeployment is the Deployment a VaultApp asks for.
func desiredDeployment(app *appv1alpha1.VaultApp, version string) *appsv1.Deployment {
	spec := *app.Spec.DeploymentSpec.DeepCopy()
	tpl := &spec.Template
	if tpl.Annotations == nil {
		tpl.Annotations = map[string]string{}
	}
	if app.Spec.RolloutStrategy != appv1alpha1.RolloutNone {
		// The pods roll exactly when the data changes. With "none" the
		// template never mentions the data, and the kubelet refreshes the
		// mounted files in place.
		tpl.Annotations[appv1alpha1.SecretVersionAnnotation] = version
	}
	tpl.Spec.Volumes = withVolume(tpl.Spec.Volumes, corev1.Volume{Name: appv1alpha1.SecretsVolumeName,
		VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: appv1alpha1.SecretNameFor(app.Name)}}})
	mount := corev1.VolumeMount{Name: appv1alpha1.SecretsVolumeName, MountPath: appv1alpha1.SecretsMountPath, ReadOnly: true}
	for i := range tpl.Spec.Containers {
		tpl.Spec.Containers[i].VolumeMounts = withMount(tpl.Spec.Containers[i].VolumeMounts, mount)
	}
	for i := range tpl.Spec.InitContainers {
		tpl.Spec.InitContainers[i].VolumeMounts = withMount(tpl.Spec.InitContainers[i].VolumeMounts, mount)
	}
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace, Labels: managedLabels(app),
			OwnerReferences: []metav1.OwnerReference{controllerRef(app)}},
		Spec: spec,
	}
}

// withVolume adds v, replacing a volume of the same name (never a duplicate).
func withVolume(vols []corev1.Volume, v corev1.Volume) []corev1.Volume {
	return upsert(vols, v, func(x corev1.Volume) string { return x.Name })
}

// withMount adds m, replacing a mount of the same volume (never a duplicate).
func withMount(mounts []corev1.VolumeMount, m corev1.VolumeMount) []corev1.VolumeMount {
	return upsert(mounts, m, func(x corev1.VolumeMount) string { return x.Name })
}

// upsert replaces the element with item's name, or appends item.
func upsert[T any](list []T, item T, name func(T) string) []T {
	for i := range list {
		if name(list[i]) == name(item) {
			list[i] = item
			return list
		}
	}
	return append(list, item)
}

// deploymentUpToDate: every field the operator sets has its value (fields
// it leaves empty may hold the API server's defaults).
func deploymentUpToDate(desired, existing *appsv1.Deployment, app *appv1alpha1.VaultApp) bool {
	if !ownedBy(existing, app) {
		return false
	}
	for k, v := range desired.Labels {
		if existing.Labels[k] != v {
			return false
		}
	}
	return equality.Semantic.DeepDerivative(desired.Spec, existing.Spec)
}

// toApplyConfiguration turns a typed object into a server-side-apply
// request, leaving out the zero values a typed struct cannot omit.
func toApplyConfiguration(obj runtime.Object) runtime.ApplyConfiguration {
	m, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	return client.ApplyConfigurationFromUnstructured(u)
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
