package observability

import (
	"context"
	"os"
	"path/filepath"
	"time"

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
// database and PKI engines, and the VaultApp roles.
func prepareVault(ctx context.Context, r *rig.Rig) error {
	v := r.Vault
	if err := v.EnableKV(ctx, "restricted", 2); err != nil {
		return err
	}
	if err := v.WritePolicy(ctx, rig.OperatorPolicyName, rig.OperatorPolicy+"\npath \"restricted/*\" { capabilities = [\"read\"] }\n"); err != nil {
		return err
	}
	if err := r.EnableDatabase(ctx, pg, "billing", dbTTL, dbMaxTTL); err != nil {
		return err
	}
	if err := r.EnablePKI(ctx, pkiMaxTTL); err != nil {
		return err
	}
	policies := map[string]string{
		roleReader: `path "kv/*" { capabilities = ["read"] }`,
		roleDenied: ``,
		roleDB:     readFile("examples/dynamic/vault-policies.hcl"),
		rolePKI:    readFile("examples/dynamic/vault-policies-pki.hcl"),
	}
	for role, hcl := range policies {
		hcl += "\npath \"sys/internal/ui/mounts/*\" { capabilities = [\"read\"] }\n"
		if err := v.WritePolicy(ctx, role, hcl); err != nil {
			return err
		}
		if err := v.WriteKubernetesRole(ctx, "kubernetes", role, rig.KubernetesRole{
			ServiceAccountNames: []string{rig.OperatorServiceAccount}, Namespaces: []string{rig.OperatorNamespace},
			Policies: []string{role}, TTL: time.Hour}); err != nil {
			return err
		}
	}
	return v.PutKV(ctx, "kv/data/obs/app", map[string]any{"token": "s3cr3t-value"})
}

func readFile(rel string) string {
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		panic(err)
	}
	return string(b)
}
