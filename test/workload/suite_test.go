// Package workload runs the operator in workload-identity mode
// (--vault-identity=workload) against the real apiserver and Vault: every
// login is made as the Deployment's or VaultApp's own service account, so
// Vault's roles and policies decide what each namespace may touch.
package workload

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var (
	env *e2e.Env
	op  *e2e.InProcess
)

func TestMain(m *testing.M) {
	os.Exit(e2e.Main(m, rig.Options{CRDDirectoryPaths: e2e.CRDPaths()}, func(e *e2e.Env) (err error) {
		env = e
		if err := setupVault(context.Background(), e); err != nil {
			return err
		}
		op, err = e.StartInProcess("--vault-timeout=5s", "--vaultapp-refresh-interval=10s", "--vault-identity=workload")
		return err
	}))
}

// setupVault gives each team a role bound to its own service account in its
// own namespace, with a policy on its own prefix only, by running the
// guide's script (examples/vault/workload-identity.sh).
func setupVault(ctx context.Context, e *e2e.Env) error {
	// In this mode the operator needs no Vault role of its own.
	if _, err := e.Vault.Root.Logical().DeleteWithContext(ctx, "auth/kubernetes/role/"+rig.OperatorRole); err != nil {
		return err
	}
	if _, err := e.EnableJWTAuth(ctx); err != nil {
		return err
	}
	for _, team := range []string{"team-a", "team-b"} {
		if err := e.RunExample(ctx, "examples/vault/workload-identity.sh", "TEAM_NAMESPACE="+team); err != nil {
			return err
		}
		// The JWT auth method: the same team role, validated against the
		// apiserver's issuer keys instead of TokenReview.
		if err := e.Vault.WriteJWTRole(ctx, team, rig.JWTRole{Namespace: team, ServiceAccount: "app", Audience: "vault",
			Policies: []string{team}, TTL: time.Hour}); err != nil {
			return err
		}
		for _, sa := range []string{"app", "intruder"} {
			if _, err := e.ServiceAccountToken(ctx, team, sa, nil, 10*time.Minute); err != nil { // creates the ServiceAccount
				return err
			}
		}
	}
	return nil
}
