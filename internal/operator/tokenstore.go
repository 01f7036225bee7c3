package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// secretTokenStore keeps Vault tokens that issued leases in Secrets of the
// operator's own namespace (one per Vault identity), so that the next
// operator process adopts them instead of letting their leases die. They
// are as sensitive as the operator's own service-account token, which can
// log in to the same roles: keep the namespace's Secrets to the operator.
type secretTokenStore struct {
	reader    client.Reader
	writer    client.Client
	namespace string
}

const tokenKey = "token"

func (s secretTokenStore) name(id vault.Identity) string {
	sum := sha256.Sum256([]byte(vault.IdentityKey(id)))
	return "vault-sync-token-" + hex.EncodeToString(sum[:6])
}

func (s secretTokenStore) Load(ctx context.Context, id vault.Identity) (string, error) {
	var sec corev1.Secret
	err := s.reader.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: s.name(id)}, &sec)
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(sec.Data[tokenKey]), nil
}

func (s secretTokenStore) Save(ctx context.Context, id vault.Identity, token string) error {
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: s.name(id),
			Labels:      map[string]string{"app.kubernetes.io/managed-by": "vault-sync-operator", "vault-sync.io/token-store": "true"},
			Annotations: map[string]string{"vault-sync.io/vault-role": id.Role, "vault-sync.io/vault-auth-path": id.AuthPath}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{tokenKey: []byte(token)},
	}
	err := s.writer.Create(ctx, sec)
	if apierrors.IsAlreadyExists(err) {
		err = s.writer.Update(ctx, sec)
	}
	return err
}

func (s secretTokenStore) Delete(ctx context.Context, id vault.Identity) error {
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: s.name(id)}}
	return client.IgnoreNotFound(s.writer.Delete(ctx, sec))
}

// tokenStoreNamespace is where tokens are kept: the flag, else the
// operator's namespace.
func tokenStoreNamespace(o Options) string {
	if o.VaultTokenStoreNamespace != "" {
		return o.VaultTokenStoreNamespace
	}
	return operatorNamespace(o)
}
