// Package guide runs the commands of VAULT-SETUP-GUIDE.md
// (examples/vault/setup.sh) against a real Vault and checks that the
// operator works with exactly the policies and roles they create.
package guide

import (
	"context"
	"os"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	authk8s "github.com/hashicorp/vault/api/auth/kubernetes"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var env *e2e.Env

func TestMain(m *testing.M) {
	os.Exit(e2e.Main(m, rig.Options{}, func(e *e2e.Env) error { env = e; return nil }))
}

func TestVaultSetupGuide(t *testing.T) {
	ctx := context.Background()
	run := func(vars ...string) {
		if err := env.RunSetupGuide(ctx, vars...); err != nil {
			t.Fatal(err)
		}
	}
	run()
	run() // idempotent: a second run changes nothing and does not fail

	pool, err := env.OperatorPool(vault.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Push: the operator's role may create, update, read and delete under secret/.
	s := pool.Operator()
	loc, err := s.ResolveKV(ctx, "secret/data/guide/app")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteKV(ctx, loc, map[string]any{"k": "v"}); err != nil {
		t.Fatalf("write with the guide's policy: %v", err)
	}
	if err := s.WriteKV(ctx, loc, map[string]any{"k": "v2"}); err != nil {
		t.Fatalf("update with the guide's policy: %v", err)
	}
	if _, err := s.ReadKV(ctx, loc); err != nil {
		t.Fatalf("read with the guide's policy: %v", err)
	}
	if err := s.DeleteKV(ctx, loc); err != nil {
		t.Fatalf("delete with the guide's policy: %v", err)
	}
	// ...and nothing outside its mount.
	other, err := s.ResolveKV(ctx, "kv/data/billing/database")
	if err == nil {
		err = s.WriteKV(ctx, other, map[string]any{"x": "y"})
	}
	if !vault.IsCategory(err, vault.CategoryPermissionDenied) {
		t.Fatalf("operator could write outside its policy: %v", err)
	}

	// Pull: the billing-app role reads the sample's secrets, and only reads.
	app := pool.Client(vault.Identity{Role: "billing-app"})
	d, err := app.ReadSecret(ctx, "kv/data/billing/database")
	if err != nil || d.Data["url"] == nil {
		t.Fatalf("billing-app read: %v %v", d, err)
	}
	if err := app.WriteKV(ctx, vault.Location{Mount: "kv", Version: 2, Path: "billing/database"}, map[string]any{"url": "x"}); !vault.IsCategory(err, vault.CategoryPermissionDenied) {
		t.Fatalf("billing-app could write: %v", err)
	}

	// With CLUSTER_NAME the operator's policy narrows to clusters/<name>/.
	run("CLUSTER_NAME=prod")
	jwt, _ := env.ServiceAccountToken(ctx, rig.OperatorNamespace, rig.OperatorServiceAccount, nil, time.Hour)
	c, _ := vaultapi.NewClient(&vaultapi.Config{Address: env.Vault.Addr})
	method, _ := authk8s.NewKubernetesAuth("vault-sync-operator", authk8s.WithServiceAccountToken(jwt))
	if _, err := c.Auth().Login(ctx, method); err != nil {
		t.Fatal(err)
	}
	if _, err := c.KVv2("secret").Put(ctx, "clusters/prod/app", map[string]any{"k": "v"}); err != nil {
		t.Fatalf("write under clusters/prod: %v", err)
	}
	if _, err := c.KVv2("secret").Put(ctx, "app", map[string]any{"k": "v"}); err == nil {
		t.Fatal("cluster-scoped policy allowed a write outside clusters/prod")
	}
}
