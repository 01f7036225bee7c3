package rig

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// EnableDatabase sets up Vault's database engine for pg with a role of the
// given lease TTLs, by running examples/dynamic/setup-database.sh: its
// credentials are real PostgreSQL roles that Vault drops when their lease
// is revoked.
func (r *Rig) EnableDatabase(ctx context.Context, pg *Postgres, role string, ttl, maxTTL time.Duration) error {
	return r.RunExample(ctx, "examples/dynamic/setup-database.sh",
		"PG_CONNECTION_URL="+pg.URL(), "PG_USERNAME=postgres", "PG_PASSWORD="+pg.Password,
		"DB_ROLE="+role, fmt.Sprintf("DEFAULT_TTL=%ds", int(ttl.Seconds())), fmt.Sprintf("MAX_TTL=%ds", int(maxTTL.Seconds())))
}

// EnablePKI sets up Vault's PKI engine with a root CA and a role "web" for
// *.example.com up to maxTTL, by running examples/dynamic/setup-pki.sh.
func (r *Rig) EnablePKI(ctx context.Context, maxTTL time.Duration) error {
	return r.RunExample(ctx, "examples/dynamic/setup-pki.sh", fmt.Sprintf("PKI_MAX_TTL=%ds", int(maxTTL.Seconds())))
}

// RunExample runs a script of the repository (a guide's commands) against
// the rig's Vault with the vault CLI, as an administrator would.
func (r *Rig) RunExample(ctx context.Context, script string, env ...string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, script))
	base := []string{"PATH=" + filepath.Dir(r.Binaries.Vault) + ":" + os.Getenv("PATH"),
		"VAULT_ADDR=" + r.Vault.DirectAddr, "VAULT_TOKEN=" + r.Vault.RootToken}
	if r.Vault.CACert != "" {
		base = append(base, "VAULT_CACERT="+r.Vault.CACert)
	}
	cmd.Env = append(append(os.Environ(), base...), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", script, err, out)
	}
	return nil
}

// EnableJWTAuth mounts Vault's JWT auth method at "jwt" and has it trust
// the apiserver's service-account issuer: its public keys (the apiserver's
// JWKS document) and its issuer name. No token reviewer is involved.
func (r *Rig) EnableJWTAuth(ctx context.Context) (issuer string, err error) {
	raw, err := r.Clientset.CoreV1().RESTClient().Get().AbsPath("/openid/v1/jwks").DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("read the apiserver's JWKS: %w", err)
	}
	keys, err := jwksToPEM(raw)
	if err != nil {
		return "", err
	}
	tok, err := r.ServiceAccountToken(ctx, OperatorNamespace, OperatorServiceAccount, nil, 10*time.Minute)
	if err != nil {
		return "", err
	}
	if issuer, err = TokenIssuer(tok); err != nil {
		return "", err
	}
	v := r.Vault.Root
	if err := v.Sys().EnableAuthWithOptionsWithContext(ctx, "jwt", &vaultapi.EnableAuthOptions{Type: "jwt"}); err != nil && !strings.Contains(err.Error(), "path is already in use") {
		return "", err
	}
	_, err = v.Logical().WriteWithContext(ctx, "auth/jwt/config", map[string]any{"jwt_validation_pubkeys": keys, "bound_issuer": issuer})
	return issuer, err
}

// JWTRole is a role of the JWT auth method bound to one service account.
type JWTRole struct {
	Namespace, ServiceAccount, Audience string
	Policies                            []string
	TTL                                 time.Duration
}

// WriteJWTRole creates or replaces role at auth/jwt.
func (v *Vault) WriteJWTRole(ctx context.Context, role string, r JWTRole) error {
	_, err := v.Root.Logical().WriteWithContext(ctx, "auth/jwt/role/"+role, map[string]any{
		"role_type": "jwt", "user_claim": "sub", "bound_audiences": []string{r.Audience},
		"bound_subject":  "system:serviceaccount:" + r.Namespace + ":" + r.ServiceAccount,
		"token_policies": r.Policies, "token_ttl": int(r.TTL.Seconds()),
	})
	return err
}

func jwksToPEM(raw []byte) ([]string, error) {
	var set struct {
		Keys []struct{ Kty, N, E, Crv, X, Y string }
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	var out []string
	for _, k := range set.Keys {
		var pub any
		switch k.Kty {
		case "RSA":
			n, e := b64int(k.N), b64int(k.E)
			pub = &rsa.PublicKey{N: n, E: int(e.Int64())}
		case "EC":
			pub = &ecdsa.PublicKey{Curve: elliptic.P256(), X: b64int(k.X), Y: b64int(k.Y)}
		default:
			continue
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, err
		}
		out = append(out, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no usable key in the apiserver's JWKS: %s", raw)
	}
	return out, nil
}

func b64int(s string) *big.Int {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return new(big.Int).SetBytes(b)
}

// TokenIssuer reads the iss claim of a JWT (no verification: it is ours).
func TokenIssuer(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var c struct{ Iss string }
	if err := json.Unmarshal(b, &c); err != nil {
		return "", err
	}
	return c.Iss, nil
}

// EnableKubernetesEngine mounts Vault's Kubernetes secrets engine at
// "kubernetes-secrets", pointed at the rig's apiserver with a service
// account allowed to create tokens, and a role issuing tokens of the
// existing service account sa in namespace ns.
func (r *Rig) EnableKubernetesEngine(ctx context.Context, role, ns, sa string) error {
	const engineNS, engineSA = "vault-system", "vault-kubernetes-engine"
	if err := r.ensureServiceAccount(ctx, ns, sa); err != nil {
		return err
	}
	if err := r.ensureServiceAccount(ctx, engineNS, engineSA); err != nil {
		return err
	}
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: engineSA}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}},
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"get"}},
	}}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: engineSA},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: engineSA},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: engineNS, Name: engineSA}}}
	for _, o := range []client.Object{cr, crb} {
		if err := r.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	jwt, err := r.ServiceAccountToken(ctx, engineNS, engineSA, nil, 24*time.Hour)
	if err != nil {
		return err
	}
	v := r.Vault.Root
	if err := v.Sys().MountWithContext(ctx, "kubernetes-secrets", &vaultapi.MountInput{Type: "kubernetes"}); err != nil && !strings.Contains(err.Error(), "path is already in use") {
		return err
	}
	if _, err := v.Logical().WriteWithContext(ctx, "kubernetes-secrets/config", map[string]any{
		"kubernetes_host": r.RestConfig.Host, "kubernetes_ca_cert": string(r.RestConfig.CAData),
		"service_account_jwt": jwt, "disable_local_ca_jwt": true,
	}); err != nil {
		return err
	}
	_, err = v.Logical().WriteWithContext(ctx, "kubernetes-secrets/roles/"+role, map[string]any{
		"allowed_kubernetes_namespaces": []string{ns}, "service_account_name": sa, "token_default_ttl": "10m",
	})
	return err
}

// SignServiceAccountJWT signs claims with the apiserver's own
// service-account signing key, as the apiserver would: tests use it for
// tokens the TokenRequest API refuses to make (already expired ones).
func (r *Rig) SignServiceAccountJWT(claims map[string]any) (string, error) {
	raw, err := os.ReadFile(filepath.Join(r.env.ControlPlane.APIServer.CertDir, "sa-signer.key"))
	if err != nil {
		return "", err
	}
	blk, _ := pem.Decode(raw)
	if blk == nil {
		return "", fmt.Errorf("sa-signer.key is not PEM")
	}
	var key any
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		key = k
	} else if k, err := x509.ParseECPrivateKey(blk.Bytes); err == nil {
		key = k
	} else if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
		key = k
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		signing := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims)
		sum := sha256.Sum256([]byte(signing))
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:]); err != nil {
			return "", err
		}
		return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
	case *ecdsa.PrivateKey:
		signing := enc(map[string]string{"alg": "ES256", "typ": "JWT"}) + "." + enc(claims)
		sum := sha256.Sum256([]byte(signing))
		rr, ss, err := ecdsa.Sign(rand.Reader, k, sum[:])
		if err != nil {
			return "", err
		}
		sig = make([]byte, 64) // JWS: r and s, 32 bytes each
		rr.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
		return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
	}
	return "", fmt.Errorf("sa-signer.key: unsupported key type %T", key)
}
