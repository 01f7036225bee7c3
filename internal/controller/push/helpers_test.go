package push

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	clientfake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretwatch"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault/fake"
)

const ns = "team"

// world is one push reconciler over a fake API server and a fake Vault.
type world struct {
	t      *testing.T
	r      *Reconciler
	c      client.Client
	vault  *fake.Vault
	events *record.FakeRecorder
}

func newWorld(t *testing.T, objs ...client.Object) *world {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	c := clientfake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
	fv := fake.New(vault.Identity{Role: "operator"})
	rec := record.NewFakeRecorder(100)
	key, _ := mac.NewKey([]byte("the operator's test key, 32 bytes"))
	r := &Reconciler{Client: c, Secrets: c, Vault: func(*appsv1.Deployment) vault.KVStore { return fv },
		Tracker: secretwatch.New(nil, ""), Events: kube.Events{Recorder: rec}, Key: key}
	return &world{t: t, r: r, c: c, vault: fv, events: rec}
}

func secret(name string, kv ...string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Data[kv[i]] = []byte(kv[i+1])
	}
	return s
}

// deployment uses the named Secrets through envFrom, annotated with ann.
func deployment(name string, ann map[string]string, secrets ...string) *appsv1.Deployment {
	c := corev1.Container{Name: "app", Image: "app:1"}
	for _, s := range secrets {
		c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: s}}})
	}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: ann, UID: types.UID("uid-" + name)},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}}}
}

func pathAnn(path string, more ...string) map[string]string {
	ann := map[string]string{pushsync.AnnotationPath: path}
	for i := 0; i+1 < len(more); i += 2 {
		ann[more[i]] = more[i+1]
	}
	return ann
}

func (w *world) reconcile(name string) (ctrl.Result, error) {
	return w.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: name}})
}

func (w *world) deployment(name string) *appsv1.Deployment {
	var d appsv1.Deployment
	if err := w.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &d); err != nil {
		return nil
	}
	return &d
}

// kv reads a user path from the fake Vault (nil when absent).
func (w *world) kv(path string) map[string]any {
	loc, err := w.vault.ResolveKV(context.Background(), path)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.vault.KV(loc)
}

// drainEvents returns the events recorded so far.
func (w *world) drainEvents() []string {
	var out []string
	for {
		select {
		case e := <-w.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func (w *world) expectEvent(prefix string) {
	w.t.Helper()
	for _, e := range w.drainEvents() {
		if strings.HasPrefix(e, prefix) {
			return
		}
	}
	w.t.Fatalf("no event %q", prefix)
}
