// Package kube holds the Kubernetes building blocks both controllers use
// the same way: the workqueue's backoff, events that agree with the logs,
// finalizer patches and server-side apply with the operator's field owner.
package kube
