package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
)

// eventer emits events and the matching log line, so the two always agree.
// Messages come from errors built by this operator; they never carry
// secret values.
type eventer interface {
	warn(ctx context.Context, obj runtime.Object, reason string, err error)
}

func emitWarning(ctx context.Context, rec recorder.EventRecorder, obj runtime.Object, reason string, err error) {
	log.FromContext(ctx).Info("sync failed", "reason", reason, "error", err.Error())
	rec.Eventf(obj, nil, corev1.EventTypeWarning, reason, "Sync", "%s", truncate(err.Error(), 1000))
}

func (r *DeploymentReconciler) warn(ctx context.Context, obj runtime.Object, reason string, err error) {
	emitWarning(ctx, r.Recorder, obj, reason, err)
}

func (r *DeploymentReconciler) normal(obj runtime.Object, reason, action, msg string) {
	r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, reason, action, "%s", truncate(msg, 1000))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
