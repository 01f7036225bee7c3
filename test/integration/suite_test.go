// Package integration runs the operator, assembled exactly as main.go
// assembles it, against a real kube-apiserver+etcd and a real Vault.
package integration

import (
	"context"
	"fmt"
	"os"
	"testing"

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
		if err := prepareVault(e); err != nil {
			return err
		}
		if err := prepareShapeExamples(e); err != nil {
			return err
		}
		if err := e.GrantEverything(context.Background()); err != nil {
			return err
		}
		// The operator as a user would run it out of cluster, with a small
		// request limit (Vault's default is 32 MiB) so that the size test
		// needs no 32 MiB of Secrets.
		op, err = e.StartInProcess("--vault-timeout=5s", "--vaultapp-refresh-interval=10s",
			fmt.Sprintf("--vault-max-request-size=%d", sizeLimit))
		return err
	}))
}

// prepareVault adds what the tests need beyond the rig's defaults: a KV
// mount on which the operator may only read (permission-denied tests), and
// the VaultApp roles, to which the operator logs in with its own service
// account.
func prepareVault(e *e2e.Env) error {
	ctx := context.Background()
	if err := e.Vault.EnableKV(ctx, "restricted", 2); err != nil {
		return err
	}
	if err := e.Vault.WritePolicy(ctx, rig.OperatorPolicyName, rig.OperatorPolicy+`
path "restricted/*" { capabilities = ["read"] }
`); err != nil {
		return err
	}
	roles := map[string]string{
		// the role of the reference sample, as VAULT-SETUP-GUIDE.md sets it up
		"billing-app": e2e.ReadPolicy("kv/data/billing/*"),
		// reads everything the tests write
		"apps": e2e.ReadPolicy("kv/*", "kv1/*"),
		// may look mounts up but read nothing
		"no-read": e2e.ReadPolicy(),
	}
	for role, hcl := range roles {
		if err := e.WriteOperatorRole(ctx, role, hcl, ""); err != nil {
			return err
		}
	}
	return nil
}
