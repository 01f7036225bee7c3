package vaultapp

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	clientfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault/fake"
)

const dbPath = "database/creds/app"

var testKey, _ = mac.NewKey([]byte("the operator's test key, 32 bytes"))

func testScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(appv1alpha1.AddToScheme(s))
	return s
}

// sampleApp reads username and password of database/creds/app and has
// monitoring on.
func sampleApp() *appv1alpha1.VaultApp {
	labels := map[string]string{"app": "a"}
	return &appv1alpha1.VaultApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a", UID: "uid-1", Generation: 1},
		Spec: appv1alpha1.VaultAppSpec{
			DeploymentSpec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "c", Image: "i", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}}}}}},
			Vault: appv1alpha1.VaultSpec{Role: "r", Secrets: []appv1alpha1.SecretRef{
				{Path: dbPath, Key: "username", TargetKey: "user"},
				{Path: dbPath, Key: "password", TargetKey: "pass"},
			}},
			Monitoring: &appv1alpha1.MonitoringSpec{Enabled: true, Path: "/metrics"},
		},
	}
}

// staticVault serves database/creds/app without a lease.
func staticVault() *fake.Vault {
	return fake.New(vault.Identity{Role: "r"}).SetEngine(dbPath, map[string]any{"username": "u", "password": "p"}, 0)
}

// newTestReconciler is a reconciler over a fake API server holding app and
// the fake Vault fv.
func newTestReconciler(app *appv1alpha1.VaultApp, fv *fake.Vault) (*Reconciler, client.Client) {
	c := clientfake.NewClientBuilder().WithScheme(testScheme()).WithObjects(app).WithStatusSubresource(app).Build()
	return restarted(c, fv), c
}

// restarted is a new reconciler (a restarted operator) over the same API
// server and Vault.
func restarted(c client.Client, fv *fake.Vault) *Reconciler {
	return &Reconciler{Client: c, Vault: func(vault.Identity) VaultClient { return fv },
		Events: kube.Events{Recorder: record.NewFakeRecorder(100)}, DefaultRefresh: 5 * time.Minute, leases: lease.NewBook(), Key: testKey}
}

func request(app *appv1alpha1.VaultApp) ctrl.Request {
	return ctrl.Request{NamespacedName: client.ObjectKeyFromObject(app)}
}

// reconcileOnce reconciles app and returns it and its Secret (nil if none) as stored.
func reconcileOnce(t *testing.T, r *Reconciler, app *appv1alpha1.VaultApp) (*appv1alpha1.VaultApp, *corev1.Secret) {
	t.Helper()
	if _, err := r.Reconcile(context.Background(), request(app)); err != nil {
		t.Fatal(err)
	}
	got := &appv1alpha1.VaultApp{}
	_ = r.Client.Get(context.Background(), request(app).NamespacedName, got)
	sec := &corev1.Secret{}
	if err := r.Client.Get(context.Background(), client.ObjectKey{Namespace: app.Namespace, Name: appv1alpha1.SecretNameFor(app.Name)}, sec); err != nil {
		sec = nil
	}
	return got, sec
}

// hasEvent drains the recorder and reports whether an event with reason was recorded.
func hasEvent(r *Reconciler, reason string) bool {
	rec := r.Events.Recorder.(*record.FakeRecorder)
	for {
		select {
		case e := <-rec.Events:
			if strings.Contains(e, reason) {
				return true
			}
		default:
			return false
		}
	}
}

func eventUpdate(app *appv1alpha1.VaultApp, request string) event.UpdateEvent {
	n := app.DeepCopy()
	n.Annotations = map[string]string{appv1alpha1.RefreshRequestedAnnotation: request}
	return event.UpdateEvent{ObjectOld: app, ObjectNew: n}
}

// drainAll returns the events recorded so far.
func drainAll(r *Reconciler) []string {
	rec := r.Events.Recorder.(*record.FakeRecorder)
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func containsAll(events []string, parts ...string) bool {
	for _, e := range events {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(e, p)
		}
		if all {
			return true
		}
	}
	return false
}
