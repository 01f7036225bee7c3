package vaultapp

import (
	"context"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
)

// someoneElses are objects named like sampleApp's, made by someone else.
func someoneElses(adopt bool) []client.Object {
	meta := func(name string) metav1.ObjectMeta {
		m := metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{"team": "other"}}
		if adopt {
			m.Annotations = map[string]string{appv1alpha1.AdoptAnnotation: "a"}
		}
		return m
	}
	return []client.Object{
		&appsv1.Deployment{ObjectMeta: meta("a"), Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"x": "y"}}}},
		&corev1.Secret{ObjectMeta: meta("a-vault-secrets"), Data: map[string][]byte{"theirs": []byte("x")}},
		&corev1.Service{ObjectMeta: meta("a"), Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 1}}}},
	}
}

func TestExistingObjectsAreNeverTakenOver(t *testing.T) {
	for _, o := range someoneElses(false) {
		t.Run(o.GetObjectKind().GroupVersionKind().Kind+o.GetName(), func(t *testing.T) {
			app := sampleApp()
			r, c := newTestReconciler(app, staticVault())
			r.APIReader = c
			if err := c.Create(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			before := o.GetResourceVersion()
			got, _ := reconcileOnce(t, r, app)
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
				t.Fatal(err)
			}
			if o.GetResourceVersion() != before || len(o.GetOwnerReferences()) != 0 {
				t.Fatalf("%T %s was written (owners %v)", o, o.GetName(), o.GetOwnerReferences())
			}
			if !hasEvent(r, appv1alpha1.ReasonNameConflict) {
				t.Fatal("no NameConflict event")
			}
			if !slices.ContainsFunc(got.Status.Conditions, func(c metav1.Condition) bool {
				return c.Reason == appv1alpha1.ReasonNameConflict && c.Status == metav1.ConditionFalse
			}) {
				t.Fatalf("no condition says NameConflict: %+v", got.Status.Conditions)
			}
		})
	}
}

func TestAnExplicitAdoptionHandsTheObjectOver(t *testing.T) {
	app := sampleApp()
	r, c := newTestReconciler(app, staticVault())
	r.APIReader = c
	for _, o := range someoneElses(true) {
		if err := c.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	reconcileOnce(t, r, app)
	for _, o := range someoneElses(true) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatal(err)
		}
		if !kube.ControlledBy(o, app) {
			t.Fatalf("%T %s not adopted", o, o.GetName())
		}
	}
}
