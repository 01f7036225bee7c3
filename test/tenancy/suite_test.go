// Package tenancy is the adversarial suite of the tenant boundary: a user
// who holds only the built-in edit role in namespace team-a (mallory,
// played through the API server's impersonation) attacks team-b's Vault
// data, leases and objects, and the operator's own Vault identity, through
// the operator. The operator's Vault policy reaches every team's data: it
// is what the attacks try to borrow, and the operator must not lend it.
//
// Every test asserts that the attack failed, with the condition or event
// that says so on mallory's object; that team-b's data, leases and objects
// are intact; and that the operator still serves everyone else (a change
// of team-c's Secret reaches Vault within seconds). See expectNoHarm.
//
// The suite runs the operator binary in its default operator-identity
// mode on the whole-cluster rig (the controller-manager aggregates the
// built-in roles and runs the garbage collector), under the VaultGrants a
// platform team would write (platform_test.go).
package tenancy

import (
	"context"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// The tenants' namespaces.
const (
	teamA = "team-a" // mallory's namespace (edit)
	teamB = "team-b" // the victim
	teamC = "team-c" // the canary: another tenant the operator must keep serving
	// teamPrefixOfA is a namespace whose name is a prefix of team-a's: a
	// {{namespace}} grant must never give it team-a's role or paths.
	teamPrefixOfA = "team"
)

var (
	env *e2e.Env
	op  *e2e.Process
	// mallory acts as the user "mallory", bound to the built-in ClusterRole
	// edit in team-a only.
	mallory client.Client
	victim  *victimState
)

func TestMain(m *testing.M) {
	os.Exit(e2e.Main(m, rig.Options{WithCluster: true, CRDDirectoryPaths: e2e.CRDPaths()}, func(e *e2e.Env) (err error) {
		env = e
		ctx := context.Background()
		if err := setUpPlatform(ctx, e); err != nil {
			return err
		}
		// Short lease grace and token checks: the lease attacks wait for
		// revocations that must (or must not) happen.
		op, err = e.StartProcess(e2e.Launch{Args: []string{"--vaultapp-refresh-interval=10s",
			"--lease-revoke-grace=1s", "--vault-token-check-interval=2s"}})
		if err != nil {
			return err
		}
		if mallory, err = tenant(ctx, "mallory", "edit", teamA); err != nil {
			return err
		}
		victim, err = setUpVictims(ctx)
		return err
	}))
}

// tenant binds user to the ClusterRole in each namespace and returns a
// client acting as that user.
func tenant(ctx context.Context, user, clusterRole string, namespaces ...string) (client.Client, error) {
	for _, ns := range namespaces {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			return nil, err
		}
		if err := env.BindClusterRole(ctx, ns, user, clusterRole); err != nil {
			return nil, err
		}
	}
	return env.As(user)
}
