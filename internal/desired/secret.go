package desired

import (
	"bytes"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretdata"
)

// Secret is the Secret <name>-vault-secrets holding data, of the type
// spec.secret asks for, with the user's labels and annotations
// (spec.secret) and the operator's own, which win (own: the lease record).
func Secret(app *appv1alpha1.VaultApp, data map[string][]byte, own map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: objectMeta(app, appv1alpha1.SecretNameFor(app.Name)),
		Type:       secretdata.TypeOf(app.Spec.Secret),
		Data:       data,
	}
	if shape := app.Spec.Secret; shape != nil {
		s.Labels = secretdata.MergeLabels(shape.Labels, s.Labels)
		own = secretdata.MergeAnnotations(shape.Annotations, own)
	}
	if len(own) > 0 {
		s.Annotations = own
	}
	return s
}

// SecretUpToDate: the existing Secret has want's data, type, labels and
// annotations (others' extra labels and annotations are left alone).
func SecretUpToDate(want, existing *corev1.Secret) bool {
	return existing.Type == want.Type && maps.EqualFunc(existing.Data, want.Data, bytes.Equal) &&
		HasLabels(existing, want.Labels) && hasAnnotations(existing, want.Annotations)
}

func hasAnnotations(obj metav1.Object, want map[string]string) bool {
	for k, v := range want {
		if obj.GetAnnotations()[k] != v {
			return false
		}
	}
	return true
}
