package desired

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// Secret is the Secret <name>-vault-secrets holding data, with the
// operator's annotations (the lease record) when there are any.
func Secret(app *appv1alpha1.VaultApp, data map[string][]byte, annotations map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: objectMeta(app, appv1alpha1.SecretNameFor(app.Name)),
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
	if len(annotations) > 0 {
		s.Annotations = annotations
	}
	return s
}
