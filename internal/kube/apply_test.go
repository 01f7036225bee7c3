package kube

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func typedSecret(value string) *corev1.Secret {
	return &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web-vault-secrets"},
		Type:       corev1.SecretTypeOpaque, Data: map[string][]byte{"password": []byte(value)}}
}

func TestApplyCreatesThenUpdatesATypedObject(t *testing.T) {
	c := newPatchCounter(t)
	for _, value := range []string{"first", "second"} {
		if err := Apply(t.Context(), c, typedSecret(value)); err != nil {
			t.Fatalf("apply %s: %v", value, err)
		}
		var got corev1.Secret
		if err := c.Get(t.Context(), client.ObjectKey{Namespace: "team", Name: "web-vault-secrets"}, &got); err != nil {
			t.Fatal(err)
		}
		if string(got.Data["password"]) != value || got.Type != corev1.SecretTypeOpaque {
			t.Fatalf("stored %q (%s), want %q", got.Data["password"], got.Type, value)
		}
	}
}

func TestApplyOfADeploymentLeavesOutWhatTheTypedStructCannotOmit(t *testing.T) {
	labels := map[string]string{"app": "web"}
	d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}}}},
		Status: appsv1.DeploymentStatus{Replicas: 5}}
	u := applyConfiguration(d)
	m, ok := u.(interface{ UnstructuredContent() map[string]any })
	if !ok {
		t.Fatalf("apply configuration %T has no content", u)
	}
	content := m.UnstructuredContent()
	if _, has := content["status"]; has {
		t.Fatal("status is applied: the operator would take ownership of the controller's fields")
	}
	if _, has := content["metadata"].(map[string]any)["creationTimestamp"]; has {
		t.Fatal("metadata.creationTimestamp null is applied")
	}
	tmpl := content["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)
	if _, has := tmpl["creationTimestamp"]; has || tmpl["labels"] == nil {
		t.Fatalf("template metadata applied = %v", tmpl)
	}

	c := newPatchCounter(t)
	if err := Apply(t.Context(), c, d); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, c); got.Spec.Template.Spec.Containers[0].Image != "app:1" {
		t.Fatalf("stored %+v", got.Spec)
	}
}

func TestControlledBy(t *testing.T) {
	owner := &metav1.ObjectMeta{Name: "web", UID: types.UID("u1")}
	yes, no := true, false
	cases := []struct {
		name string
		refs []metav1.OwnerReference
		want bool
	}{
		{"should be controlled by the owner its controller reference names", []metav1.OwnerReference{{UID: "u1", Controller: &yes}}, true},
		{"should not be controlled by an owner that is not the controller", []metav1.OwnerReference{{UID: "u1", Controller: &no}}, false},
		{"should not be controlled by a namesake with another UID", []metav1.OwnerReference{{UID: "u2", Controller: &yes}}, false},
		{"should not be controlled without owner references", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := &metav1.ObjectMeta{OwnerReferences: tc.refs}
			if got := ControlledBy(obj, owner); got != tc.want {
				t.Fatalf("ControlledBy = %v, want %v", got, tc.want)
			}
		})
	}
}
