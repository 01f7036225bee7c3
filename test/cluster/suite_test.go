// Package cluster runs the operator on the whole-cluster rig
// (controller-manager, scheduler, a KWOK node): Deployments really roll out,
// pods become Ready, and the garbage collector deletes owned objects.
package cluster

import (
	"context"
	"os"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var (
	env *e2e.Env
	op  *e2e.Process
)

func TestMain(m *testing.M) {
	os.Exit(e2e.Main(m, rig.Options{WithCluster: true, CRDDirectoryPaths: e2e.CRDPaths()}, func(e *e2e.Env) (err error) {
		env = e
		if err := e.WriteOperatorRole(context.Background(), "billing-app", e2e.ReadPolicy("kv/*"), ""); err != nil {
			return err
		}
		if err := e.GrantEverything(context.Background()); err != nil {
			return err
		}
		op, err = e.StartProcess(e2e.Launch{Args: []string{"--vaultapp-refresh-interval=10s"}})
		return err
	}))
}
