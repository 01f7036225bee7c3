package kube

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

// maxMessage bounds event and condition messages (the API server limits
// event messages to 1 KiB).
const maxMessage = 1000

// Events records events and logs them, so both say the same thing.
// Messages come from errors and texts built by this operator: they never
// carry secret values.
type Events struct{ Recorder EventRecorder }

// Warning logs err and records it as a Warning event with reason.
func (e Events) Warning(ctx context.Context, obj runtime.Object, reason string, err error) {
	log.FromContext(ctx).Info("reconcile failed", "reason", reason, "error", err.Error())
	e.Recorder.Eventf(obj, corev1.EventTypeWarning, reason, "%s", Truncate(err.Error(), maxMessage))
}

// Normal records a Normal event with reason.
func (e Events) Normal(obj runtime.Object, reason, msg string) {
	e.Recorder.Eventf(obj, corev1.EventTypeNormal, reason, "%s", Truncate(msg, maxMessage))
}

// Truncate shortens s to at most n bytes, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
