package operator

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
)

// KeySecretName is the Secret, in the operator's namespace, holding the
// HMAC key that authenticates the operator's records and hashes. Losing it
// makes every record untrusted (nothing recorded is deleted; data is
// rewritten once) and rolls every VaultApp once.
const KeySecretName = "vault-sync-operator-hmac-key"

const keyField = "key"

// loadOrCreateKey reads the operator's HMAC key, creating it on first
// start. Two replicas starting together both end with the one stored key.
func loadOrCreateKey(ctx context.Context, cfg *rest.Config, namespace string) (mac.Key, error) {
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return mac.Key{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	key := client.ObjectKey{Namespace: namespace, Name: KeySecretName}
	var sec corev1.Secret
	err = c.Get(ctx, key, &sec)
	if apierrors.IsNotFound(err) {
		raw, gerr := mac.GenerateKey()
		if gerr != nil {
			return mac.Key{}, gerr
		}
		sec = corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: KeySecretName,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "vault-sync-operator"}},
			Type: corev1.SecretTypeOpaque, Data: map[string][]byte{keyField: raw}}
		if err = c.Create(ctx, &sec); apierrors.IsAlreadyExists(err) {
			err = c.Get(ctx, key, &sec) // another replica won the race
		}
	}
	if err != nil {
		return mac.Key{}, fmt.Errorf("cannot load or create the HMAC key Secret %s/%s (the operator needs get/create on Secrets of its namespace): %w", namespace, KeySecretName, err)
	}
	k, err := mac.NewKey(sec.Data[keyField])
	if err != nil {
		return mac.Key{}, fmt.Errorf("the HMAC key Secret %s/%s is invalid (%v): delete it to have a new key made (every VaultApp then rolls once)", namespace, KeySecretName, err)
	}
	return k, nil
}

// operatorNamespace is where the operator keeps its own state: the flag,
// else the pod's namespace, else the namespace of --vault-service-account
// (out of cluster).
func operatorNamespace(o Options) string {
	if o.OperatorNamespace != "" {
		return o.OperatorNamespace
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		return strings.TrimSpace(string(b))
	}
	ns, _, _ := strings.Cut(o.VaultServiceAccount, "/")
	return ns
}
