package integration

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// logCapture keeps every log line so tests can check what was (not) logged.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns := prefix + "-" + rand.String(5)
	Expect(testRig.EnsureNamespace(context.Background(), ns)).To(Succeed())
	return ns
}

func newSecret(ns, name string, kv ...string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Data[kv[i]] = []byte(kv[i+1])
	}
	return s
}

// newDeployment is a Deployment whose single container uses the named
// Secrets through envFrom, annotated with ann.
func newDeployment(ns, name string, ann map[string]string, secrets ...string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	c := corev1.Container{Name: "app", Image: "example.com/app:1"}
	for _, s := range secrets {
		c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: s}}})
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: ann},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}},
		},
	}
}

func create(objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, testRig.Client.Create(context.Background(), o)).To(Succeed())
	}
}

// vaultKV reads a KV secret with the root token ("" values when absent).
func vaultKV(path string) map[string]any {
	s, err := testRig.Vault.Root.Logical().Read(path)
	if err != nil || s == nil {
		return nil
	}
	if d, ok := s.Data["data"].(map[string]any); ok && strings.Contains(path, "/data/") {
		return d
	}
	return s.Data
}

func eventuallyVault(path string) AsyncAssertion {
	return Eventually(func() map[string]any { return vaultKV(path) }, 20*time.Second, 100*time.Millisecond)
}

// events returns the messages of events about the named object, by reason.
func events(ns, name string) []string {
	var list corev1.EventList
	if err := testRig.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return nil
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

func eventuallyEvent(ns, name, substr string) {
	EventuallyWithOffset(1, func() []string { return events(ns, name) }, 20*time.Second, 200*time.Millisecond).
		Should(ContainElement(ContainSubstring(substr)))
}

func getDeployment(ns, name string) *appsv1.Deployment {
	var d appsv1.Deployment
	if err := testRig.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &d); err != nil {
		return nil
	}
	return &d
}

func deploymentGone(ns, name string) func() bool {
	return func() bool {
		var d appsv1.Deployment
		err := testRig.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &d)
		return apierrors.IsNotFound(err)
	}
}

func recordedState(ns, name string) pushsync.State {
	d := getDeployment(ns, name)
	if d == nil {
		return pushsync.State{}
	}
	s, _ := pushsync.ReadState(d.Annotations)
	return s
}

func volumeFromSecret(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}}
}

// gatheredValue reads one sample from controller-runtime's registry.
func gatheredValue(name, label, value string) float64 {
	mfs, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			for _, lp := range m.Label {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetGauge().GetValue() + m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}
