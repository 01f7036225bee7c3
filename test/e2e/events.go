package e2e

import (
	"context"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// eventTimeout is how long EventuallyEvent waits.
const eventTimeout = 20 * time.Second

// Events lists the events about the object named name in ns (any kind).
func (e *Env) Events(ns, name string) []corev1.Event {
	var list corev1.EventList
	if err := e.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return nil
	}
	var out []corev1.Event
	for _, ev := range list.Items {
		if ev.InvolvedObject.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

// EventTexts are the object's events as "Reason: Message".
func (e *Env) EventTexts(ns, name string) []string {
	var out []string
	for _, ev := range e.Events(ns, name) {
		out = append(out, ev.Reason+": "+ev.Message)
	}
	return out
}

// EventuallyEvent waits up to 20s (polling every 200ms) for an event of
// the object whose "Reason: Message" contains substr.
func (e *Env) EventuallyEvent(ns, name, substr string) {
	EventuallyWithOffset(1, func() []string { return e.EventTexts(ns, name) }, eventTimeout, 200*time.Millisecond).
		Should(ContainElement(ContainSubstring(substr)))
}
