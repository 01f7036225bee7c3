// Package integration runs the operator, assembled exactly as main.go
// assembles it, against a real kube-apiserver+etcd and a real Vault.
package integration

import (
	"context"
	"fmt"
	"net"
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
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(true)))
	os.Exit(rig.Main(m, rig.Options{CRDDirectoryPaths: crdPaths()}, func(r *rig.Rig) {
		testRig = r
		if err := prepareVault(r); err != nil {
			panic(err)
		}
		if err := startOperator(r); err != nil {
			panic(err)
		}
	}))
}

// prepareVault adds what the tests need beyond the rig's defaults: a KV
// mount on which the operator may only read (permission-denied tests).
func prepareVault(r *rig.Rig) error {
	ctx := context.Background()
	if err := r.Vault.EnableKV(ctx, "restricted", 2); err != nil {
		return err
	}
	return r.Vault.WritePolicy(ctx, rig.OperatorPolicyName, rig.OperatorPolicy+`
path "restricted/*" { capabilities = ["read"] }
`)
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
func startOperator(r *rig.Rig) error {
	probeAddr = freeAddr()
	o := operator.DefaultOptions()
	o.Vault.Address = r.Vault.Addr
	o.Vault.Timeout = 5 * time.Second
	o.VaultServiceAccount = rig.OperatorNamespace + "/" + rig.OperatorServiceAccount
	o.MetricsAddr = "0"
	o.ProbeAddr = probeAddr
	o.VaultAppRefresh = 10 * time.Second
	var err error
	op, err = operator.New(r.RestConfig, o)
	if err != nil {
		return fmt.Errorf("operator: %w", err)
	}
	go func() {
		if err := op.Start(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "operator stopped:", err)
		}
	}()
	return nil
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}
