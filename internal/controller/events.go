package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// EventRecorder records core/v1 Events. The events.k8s.io recorder folds
// every event with the same reason into a series that keeps the first
// message, so a changed error would be shown with a stale text; the core
// recorder merges only identical messages.
type EventRecorder = record.EventRecorder

// emitWarning logs and records the same message, so events and logs agree.
// Messages come from errors built by this operator; they never carry
// secret values.
func emitWarning(ctx context.Context, rec EventRecorder, obj runtime.Object, reason string, err error) {
	log.FromContext(ctx).Info("sync failed", "reason", reason, "error", err.Error())
	rec.Eventf(obj, corev1.EventTypeWarning, reason, "%s", truncate(err.Error(), 1000))
}

func (r *DeploymentReconciler) warn(ctx context.Context, obj runtime.Object, reason string, err error) {
	emitWarning(ctx, r.Recorder, obj, reason, err)
}

func (r *DeploymentReconciler) normal(obj runtime.Object, reason, msg string) {
	r.Recorder.Eventf(obj, corev1.EventTypeNormal, reason, "%s", truncate(msg, 1000))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
