// Package workload runs the operator in workload-identity mode
// (--vault-identity=workload) against the real apiserver and Vault: every
// login is made as the Deployment's or VaultApp's own service account, so
// Vault's roles and policies decide what each namespace may touch.
package workload

import (
	"context"
	"fmt"
	"os"
	"os/exec"
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
	op        *operator.Operator
	probeAddr string
)

func TestMain(m *testing.M) {
	if os.Getenv("VSO_TEST_LOGS") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	}
	root, _ := rig.RepoRoot()
	os.Exit(rig.Main(m, rig.Options{CRDDirectoryPaths: []string{filepath.Join(root, "config/crd/bases"), filepath.Join(root, "test/crds")}},
		func(r *rig.Rig) func() {
			testRig = r
			if err := setupVault(context.Background(), r); err != nil {
				panic(err)
			}
			stop, err := startOperator(r)
			if err != nil {
				panic(err)
			}
			return stop
		}))
}

// setupVault gives each team a role bound to its own service account in its
// own namespace, with a policy on its own prefix only, by running the
// guide's script (examples/vault/workload-identity.sh).
func setupVault(ctx context.Context, r *rig.Rig) error {
	root, _ := rig.RepoRoot()
	// In this mode the operator needs no Vault role of its own.
	if _, err := r.Vault.Root.Logical().DeleteWithContext(ctx, "auth/kubernetes/role/"+rig.OperatorRole); err != nil {
		return err
	}
	if _, err := r.EnableJWTAuth(ctx); err != nil {
		return err
	}
	for _, team := range []string{"team-a", "team-b"} {
		cmd := exec.Command(filepath.Join(root, "examples/vault/workload-identity.sh"))
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(r.Binaries.Vault)+":"+os.Getenv("PATH"),
			"VAULT_ADDR="+r.Vault.DirectAddr, "VAULT_TOKEN="+r.Vault.RootToken, "TEAM_NAMESPACE="+team)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("workload-identity.sh: %w\n%s", err, out)
		}
		// The JWT auth method: the same team role, validated against the
		// apiserver's issuer keys instead of TokenReview.
		if err := r.Vault.WriteJWTRole(ctx, team, rig.JWTRole{Namespace: team, ServiceAccount: "app", Audience: "vault",
			Policies: []string{team}, TTL: time.Hour}); err != nil {
			return err
		}
		for _, sa := range []string{"app", "intruder"} {
			if _, err := r.ServiceAccountToken(ctx, team, sa, nil, 10*time.Minute); err != nil { // creates the ServiceAccount
				return err
			}
		}
	}
	return nil
}

func startOperator(r *rig.Rig) (func(), error) {
	o := operator.DefaultOptions()
	o.Vault.Address = r.Vault.Addr
	o.Vault.Timeout = 5 * time.Second
	o.VaultServiceAccount = rig.OperatorNamespace + "/" + rig.OperatorServiceAccount
	o.VaultIdentity = operator.IdentityWorkload
	probeAddr = rig.FreeAddr()
	o.MetricsAddr, o.ProbeAddr = "0", probeAddr
	o.VaultAppRefresh = 10 * time.Second
	var err error
	if op, err = operator.New(r.RestConfig, o); err != nil {
		return nil, err
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
