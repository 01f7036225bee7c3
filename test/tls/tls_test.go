// Package tls checks that the operator verifies Vault's TLS certificate:
// against the CA it is given, never skipping verification unless asked.
package tls

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var env *e2e.Env

func TestMain(m *testing.M) {
	os.Exit(e2e.Main(m, rig.Options{VaultTLS: true}, func(e *e2e.Env) error { env = e; return nil }))
}

// session is the operator's Vault session with its TLS settings changed by mutate.
func session(t *testing.T, mutate func(*vault.Config)) *vault.Client {
	cfg := vault.DefaultConfig()
	cfg.Timeout = 5 * time.Second
	mutate(&cfg)
	pool, err := env.OperatorPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool.Operator()
}

func TestVaultTLSIsVerified(t *testing.T) {
	ctx := context.Background()
	if !strings.HasPrefix(env.Vault.Addr, "https://") {
		t.Fatalf("rig Vault is not TLS: %s", env.Vault.Addr)
	}
	// With the CA: login, write, read.
	s := session(t, func(c *vault.Config) { c.CACert = env.Vault.CACert })
	loc, err := s.ResolveKV(ctx, "secret/data/tls-check")
	if err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	if err := s.WriteKV(ctx, loc, map[string]any{"k": "v"}); err != nil {
		t.Fatalf("write over TLS: %v", err)
	}

	// Without the CA (the default trust store does not know Vault's dev CA):
	// refused, as a connection error naming the certificate problem.
	_, err = session(t, func(c *vault.Config) { c.CACert = "" }).ResolveKV(ctx, "secret/data/tls-check")
	if vault.CategoryOf(err) != vault.CategoryConnection || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: err = %v, want a certificate verification failure", err)
	}

	// Skip-verify works only when explicitly asked for.
	if _, err := session(t, func(c *vault.Config) { c.CACert, c.SkipVerify = "", true }).ResolveKV(ctx, "secret/data/tls-check"); err != nil {
		t.Fatalf("with --vault-skip-verify: %v", err)
	}
	if vault.DefaultConfig().SkipVerify && os.Getenv("VAULT_SKIP_VERIFY") == "" {
		t.Fatal("skip-verify is on by default")
	}
}
