// Package integration runs the operator, assembled exactly as main.go
// assembles it, against a real kube-apiserver+etcd and a real Vault.
package integration

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vault-sync-io/vault-sync-operator/internal/operator"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var (
	testRig   *rig.Rig
	probeAddr string
	op        *operator.Operator
	logs      = &logCapture{}
)

func TestMain(m *testing.M) {
	// Operator logs are captured (tests scan them for secret values) and,
	// with VSO_TEST_LOGS=1, shown.
	var out io.Writer = logs
	if os.Getenv("VSO_TEST_LOGS") != "" {
		out = io.MultiWriter(logs, os.Stderr)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(out), zap.UseDevMode(true)))
	os.Exit(rig.Main(m, rig.Options{CRDDirectoryPaths: crdPaths()}, func(r *rig.Rig) func() {
		testRig = r
		if err := prepareVault(r); err != nil {
			panic(err)
		}
		stop, err := startOperator(r)
		if err != nil {
			panic(err)
		}
		return stop
	}))
}

// prepareVault adds what the tests need beyond the rig's defaults: a KV
// mount on which the operator may only read (permission-denied tests).
func prepareVault(r *rig.Rig) error {
	ctx := context.Background()
	if err := r.Vault.EnableKV(ctx, "restricted", 2); err != nil {
		return err
	}
	if err := r.Vault.WritePolicy(ctx, rig.OperatorPolicyName, rig.OperatorPolicy+`
path "restricted/*" { capabilities = ["read"] }
`); err != nil {
		return err
	}
	// VaultApp roles. The operator logs in to each with its own service account.
	roles := map[string]string{
		// the role of the reference sample, as VAULT-SETUP-GUIDE.md sets it up
		"billing-app": `path "kv/data/billing/*" { capabilities = ["read"] }`,
		// reads everything the tests write
		"apps": `path "kv/*" { capabilities = ["read"] }
path "kv1/*" { capabilities = ["read"] }`,
		// may look mounts up but read nothing
		"no-read": ``,
	}
	for role, hcl := range roles {
		hcl += "\npath \"sys/internal/ui/mounts/*\" { capabilities = [\"read\"] }\n"
		if err := r.Vault.WritePolicy(ctx, role, hcl); err != nil {
			return err
		}
		if err := r.Vault.WriteKubernetesRole(ctx, "kubernetes", role, rig.KubernetesRole{
			ServiceAccountNames: []string{rig.OperatorServiceAccount}, Namespaces: []string{rig.OperatorNamespace},
			Policies: []string{role}, TTL: time.Hour}); err != nil {
			return err
		}
	}
	return nil
}

func crdPaths() []string {
	var out []string
	for _, p := range []string{"../../config/crd/bases", "../crds"} {
		if _, err := os.Stat(p); err == nil {
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}

// startOperator runs the operator in-process with the options a user
// would pass out of cluster.
func startOperator(r *rig.Rig) (stop func(), _ error) {
	probeAddr = rig.FreeAddr()
	o := operator.DefaultOptions()
	o.Vault.Address = r.Vault.Addr
	o.Vault.Timeout = 5 * time.Second
	o.VaultServiceAccount = rig.OperatorNamespace + "/" + rig.OperatorServiceAccount
	o.MetricsAddr = "0"
	o.ProbeAddr = probeAddr
	o.VaultAppRefresh = 10 * time.Second
	// A small request limit (Vault's default is 32 MiB) so that the size
	// test needs no 32 MiB of Secrets.
	o.Vault.MaxRequestSize = sizeLimit
	var err error
	op, err = operator.New(r.RestConfig, o)
	if err != nil {
		return nil, fmt.Errorf("operator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := op.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "operator stopped:", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}
