package vault

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// JWTSource yields the Kubernetes service-account token presented to Vault's
// Kubernetes auth method. It is asked once per login, never per request.
type JWTSource interface {
	JWT(ctx context.Context) (string, error)
}

// InClusterTokenPath is where the kubelet mounts the pod's projected token.
const InClusterTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// FileJWT reads the token from a file at every login, so a token rotated by
// the kubelet is picked up.
type FileJWT string

func (f FileJWT) JWT(context.Context) (string, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return "", fmt.Errorf("read service account token %s: %w", string(f), err)
	}
	return strings.TrimSpace(string(b)), nil
}

// TokenRequestJWT asks the Kubernetes TokenRequest API for a short-lived
// token of a ServiceAccount. Used out of cluster (the local sandbox, tests)
// and for workload identity.
type TokenRequestJWT struct {
	Client    kubernetes.Interface
	Namespace string
	Name      string
	Audiences []string
	TTL       time.Duration
}

func (t TokenRequestJWT) JWT(ctx context.Context) (string, error) {
	ttl := int64(t.TTL.Seconds())
	if ttl < 600 {
		ttl = 600 // the API's minimum
	}
	tr := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{Audiences: t.Audiences, ExpirationSeconds: &ttl}}
	out, err := t.Client.CoreV1().ServiceAccounts(t.Namespace).CreateToken(ctx, t.Name, tr, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("request token for service account %s/%s: %w", t.Namespace, t.Name, err)
	}
	return out.Status.Token, nil
}
