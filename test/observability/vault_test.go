package observability

import (
	"context"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// Vault roles of the workload's VaultApps (the operator logs in to each
// with its own service account).
const (
	roleReader = "obs-reader" // reads kv/
	roleDenied = "obs-denied" // may look mounts up, read nothing
	roleDB     = "billing-db" // examples/dynamic/billing-db.yaml
	rolePKI    = "web-tls"    // examples/dynamic/web-tls.yaml
)

// Lease timings: a database lease renewed every 10s (half of 20s) and a
// certificate of at most 3 minutes, so "expiring soon" (< 5 min) is true
// of it from the start.
const (
	dbTTL     = 20 * time.Second
	dbMaxTTL  = 10 * time.Minute
	pkiMaxTTL = 3 * time.Minute
)

// prepareVault adds what the workload needs beyond the rig's defaults: a
// KV mount the operator may only read (push permission denied), the
// database and PKI engines, the VaultApp roles and the data they read.
func prepareVault(ctx context.Context, e *e2e.Env) error {
	if err := e.Vault.EnableKV(ctx, "restricted", 2); err != nil {
		return err
	}
	if err := e.Vault.WritePolicy(ctx, rig.OperatorPolicyName, rig.OperatorPolicy+"\npath \"restricted/*\" { capabilities = [\"read\"] }\n"); err != nil {
		return err
	}
	if err := e.EnableDatabase(ctx, pg, "billing", dbTTL, dbMaxTTL); err != nil {
		return err
	}
	if err := e.EnablePKI(ctx, pkiMaxTTL); err != nil {
		return err
	}
	policies := map[string]string{roleReader: e2e.ReadPolicy("kv/*"), roleDenied: e2e.ReadPolicy()}
	for role, file := range map[string]string{roleDB: "examples/dynamic/vault-policies.hcl", rolePKI: "examples/dynamic/vault-policies-pki.hcl"} {
		hcl, err := e.ReadRepoFile(file)
		if err != nil {
			return err
		}
		policies[role] = hcl
	}
	for role, hcl := range policies {
		if err := e.WriteOperatorRole(ctx, role, hcl, ""); err != nil {
			return err
		}
	}
	return e.Vault.PutKV(ctx, "kv/data/obs/app", map[string]any{"token": "s3cr3t-value"})
}
