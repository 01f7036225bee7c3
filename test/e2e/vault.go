package e2e

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/gomega"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// kvTimeout is how long EventuallyKV waits.
const kvTimeout = 20 * time.Second

// mountLookup is the policy line every role needs for the operator to
// find a path's KV version (sys/internal/ui/mounts).
const mountLookup = `path "sys/internal/ui/mounts/*" { capabilities = ["read"] }` + "\n"

// ReadKV reads a Vault path with the root token: for a KV v2 data path
// (".../data/...") the secret's data, otherwise the response's data; nil
// when nothing is there or the read fails.
func (e *Env) ReadKV(path string) map[string]any {
	s, err := e.Vault.Root.Logical().Read(path)
	if err != nil || s == nil {
		return nil
	}
	if d, ok := s.Data["data"].(map[string]any); ok && strings.Contains(path, "/data/") {
		return d
	}
	return s.Data
}

// EventuallyKV polls ReadKV(path) every 100ms for up to 20s; complete it
// with Should(...) (a failure points at that call).
func (e *Env) EventuallyKV(path string) AsyncAssertion {
	return Eventually(func() map[string]any { return e.ReadKV(path) }, kvTimeout, 100*time.Millisecond)
}

// PutKV writes a KV v2 secret as root (path is the API path,
// "kv/data/billing/database") and expects it to succeed.
func (e *Env) PutKV(path string, data map[string]any) {
	ExpectWithOffset(1, e.Vault.PutKV(context.Background(), path, data)).To(Succeed())
}

// ReadPolicy is a Vault policy that may read the given paths (and look
// mounts up, as every operator role must).
func ReadPolicy(paths ...string) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(`path "` + p + `" { capabilities = ["read"] }` + "\n")
	}
	return b.String() + mountLookup
}

// WriteOperatorRole writes policy role (hcl) and the Kubernetes auth role
// role with that policy, bound to the operator's service account, tokens
// valid 1h; audience, when set, is the token audience the role requires.
func (e *Env) WriteOperatorRole(ctx context.Context, role, hcl, audience string) error {
	if err := e.Vault.WritePolicy(ctx, role, hcl); err != nil {
		return err
	}
	return e.Vault.WriteKubernetesRole(ctx, "kubernetes", role, rig.KubernetesRole{
		ServiceAccountNames: []string{rig.OperatorServiceAccount}, Namespaces: []string{rig.OperatorNamespace},
		Policies: []string{role}, TTL: time.Hour, Audience: audience})
}

// OperatorPool is a Vault client pool like the operator's, on the rig's
// Vault (cfg.Address is set to it) with the operator's service-account
// token from the TokenRequest API. Close it when done.
func (e *Env) OperatorPool(cfg vault.Config, opts ...vault.PoolOption) (*vault.Pool, error) {
	cfg.Address = e.Vault.Addr
	jwt := vault.TokenRequestJWT{Client: e.Clientset, Namespace: rig.OperatorNamespace, Name: rig.OperatorServiceAccount}
	return vault.NewPool(cfg, jwt, opts...)
}

// RunSetupGuide runs examples/vault/setup.sh (the commands of
// VAULT-SETUP-GUIDE.md) against the rig's Vault and apiserver, with env
// added to its environment (e.g. "CLUSTER_NAME=prod").
func (e *Env) RunSetupGuide(ctx context.Context, env ...string) error {
	return e.RunExample(ctx, "examples/vault/setup.sh", append([]string{
		"K8S_HOST=" + e.RestConfig.Host, "K8S_CA_FILE=" + e.CAFile, "REVIEWER_JWT=" + e.ReviewerJWT}, env...)...)
}
