// Package dynamic tests dynamic secrets on the whole-cluster rig (pods
// really roll and become Ready): database credentials from Vault's database
// engine on a real PostgreSQL, PKI certificates, lease renewal, rotation,
// revocation, restarts, a revoked Vault token, and JWT auth.
package dynamic

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// audience is the token audience the operator requests and its Vault roles require.
const audience = "vault"

var (
	env *e2e.Env
	pg  *rig.Postgres
	op  *e2e.Process
)

func TestMain(m *testing.M) {
	os.Exit(e2e.Main(m, rig.Options{WithCluster: true, CRDDirectoryPaths: e2e.CRDPaths()}, func(e *e2e.Env) (err error) {
		env = e
		ctx := context.Background()
		if pg, err = e.StartPostgres(); err != nil {
			return err
		}
		if err := e.EnableDatabase(ctx, pg, "billing", 30*time.Second, 65*time.Second); err != nil {
			return err
		}
		if err := e.EnablePKI(ctx, time.Hour); err != nil {
			return err
		}
		if err := e.EnableKubernetesEngine(ctx, "deployer", "ci", "deployer"); err != nil {
			return err
		}
		if _, err := e.EnableJWTAuth(ctx); err != nil {
			return err
		}
		if err := writeRoles(ctx, e); err != nil {
			return err
		}
		if err := e.GrantEverything(ctx); err != nil {
			return err
		}
		// The tests' Vault TTLs are seconds, so the operator runs with a
		// renewal at half of a lease and a short revocation grace.
		op, err = e.StartProcess(e2e.Launch{Args: []string{"--vaultapp-refresh-interval=10s", "--vault-jwt-audience=" + audience,
			"--lease-renew-fraction=0.5", "--lease-revoke-grace=3s", "--vault-token-check-interval=2s"}})
		return err
	}))
}

// writeRoles sets up the Vault roles with the example policies, every one
// bound to the operator's service account with the audience it requests.
func writeRoles(ctx context.Context, e *e2e.Env) error {
	policies := map[string]string{rig.OperatorRole: rig.OperatorPolicy, "jwt-app": e2e.ReadPolicy("kv/*")}
	for role, file := range map[string]string{"billing-db": "examples/dynamic/vault-policies.hcl",
		"web-tls": "examples/dynamic/vault-policies-pki.hcl", "ci-deployer": "examples/dynamic/vault-policies-kubernetes.hcl"} {
		hcl, err := e.ReadRepoFile(file)
		if err != nil {
			return err
		}
		policies[role] = hcl
	}
	for role, hcl := range policies {
		if err := e.WriteOperatorRole(ctx, role, hcl, audience); err != nil {
			return err
		}
	}
	for role, aud := range map[string]string{"jwt-app": audience, "jwt-other-audience": "someone-else"} {
		if err := e.Vault.WriteJWTRole(ctx, role, rig.JWTRole{Namespace: rig.OperatorNamespace, ServiceAccount: rig.OperatorServiceAccount,
			Audience: aud, Policies: []string{"jwt-app"}, TTL: time.Hour}); err != nil {
			return err
		}
	}
	return nil
}
