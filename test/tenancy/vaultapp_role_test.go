package tenancy

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// loginAttempt is a VaultApp logging in with a role (at a method or mount)
// that is not its namespace's, to read path.
type loginAttempt struct {
	name, role, method, authPath, path string
}

func (a loginAttempt) app(ns string) *appv1alpha1.VaultApp {
	app := e2e.NewVaultApp(ns, a.name, a.role, appv1alpha1.SecretRef{Path: a.path, Key: "token", TargetKey: "token"})
	app.Spec.Vault.AuthMethod, app.Spec.Vault.AuthPath = a.method, a.authPath
	return app
}

// expectLoginsRefused creates the attempts as c in ns and expects each to
// be refused before any login (RoleNotAllowed), with no Secret written; the
// control, the namespace's own role, must become Ready (the refusals are
// the policy's, not a broken set-up).
func expectLoginsRefused(c client.Client, ns string, control loginAttempt, attempts ...loginAttempt) {
	createAs(c, control.app(ns))
	for _, a := range attempts {
		createAs(c, a.app(ns))
	}
	for _, a := range attempts {
		expectRefused(ns, a.name, appv1alpha1.ConditionVaultAuthenticated, appv1alpha1.ReasonRoleNotAllowed)
		ExpectWithOffset(1, env.Condition(ns, a.name, appv1alpha1.ConditionSecretsSynced)()).To(Equal("False/"+appv1alpha1.ReasonRoleNotAllowed), a.name)
		ExpectWithOffset(1, env.AppSecretData(ns, a.name)).To(BeNil(), a.name)
	}
	EventuallyWithOffset(1, env.Condition(ns, control.name, appv1alpha1.ConditionReady), 30*time.Second, 200*time.Millisecond).
		Should(Equal("True/Succeeded"), "the namespace's own role")
}

// TestBorrowedRolesAndMountsAreRefused: mallory's VaultApps log in with the
// operator's own role (at the default mount, and naming the mount), team-b's
// role to read team-b's secret, her own role at another auth method or
// mount, and the platform's role: each is RoleNotAllowed, before Vault is
// asked.
func TestBorrowedRolesAndMountsAreRefused(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	own := "kv/data/team-a/app"
	expectLoginsRefused(mallory, teamA, loginAttempt{name: "own-role", role: teamA, path: own},
		loginAttempt{name: "operator-role", role: rig.OperatorRole, path: "kv/data/team-b/app"},
		loginAttempt{name: "operator-role-at-its-mount", role: rig.OperatorRole, authPath: "kubernetes", path: "kv/data/team-b/app"},
		loginAttempt{name: "operator-role-by-jwt", role: rig.OperatorRole, method: "jwt", path: own},
		loginAttempt{name: "team-b-role", role: teamB, path: "kv/data/team-b/app"},
		loginAttempt{name: "team-b-role-at-its-mount", role: teamB, authPath: "kubernetes", path: "kv/data/team-b/app"},
		loginAttempt{name: "own-role-by-jwt", role: teamA, method: "jwt", path: own},
		loginAttempt{name: "own-role-at-another-mount", role: teamA, authPath: "kubernetes-b", path: own},
		loginAttempt{name: "platform-role", role: platformNS, path: "kv/data/platform/app"},
	)
	expectNoHarm()
}

// TestOperatorRoleIsRefusedWhateverAGrantSays: the platform namespace may
// use every role at the operator's mount, and a namespace named like the
// operator's role gets "its" role from the {{namespace}} grant; neither may
// use the operator's role.
func TestOperatorRoleIsRefusedWhateverAGrantSays(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	pat := platformUser()
	expectLoginsRefused(pat, platformNS, loginAttempt{name: "own-role", role: platformNS, path: "kv/data/platform/app"},
		loginAttempt{name: "operator-role", role: rig.OperatorRole, path: "kv/data/platform/app"})
	named := rig.OperatorRole // the namespace
	createAs(pat, loginAttempt{name: "its-own-name", role: rig.OperatorRole, path: "kv/data/" + named + "/app"}.app(named))
	expectRefused(named, "its-own-name", appv1alpha1.ConditionVaultAuthenticated, appv1alpha1.ReasonRoleNotAllowed)
	expectNoHarm()
}

// TestOperatorRoleInAnotherCaseIsTheOperatorRole: Vault's Kubernetes auth
// method looks roles up in lower case (role/<lower-cased name> in its
// storage), so "VAULT-SYNC-OPERATOR" logs in as the operator's own role.
// A namespace that may use every role (the platform) must still be refused
// it, whatever its case.
func TestOperatorRoleInAnotherCaseIsTheOperatorRole(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	expectLoginsRefused(platformUser(), platformNS, loginAttempt{name: "own-role-again", role: platformNS, path: "kv/data/platform/app"},
		loginAttempt{name: "operator-role-upper-case", role: "VAULT-SYNC-OPERATOR", path: "kv/data/platform/app"},
		loginAttempt{name: "operator-role-mixed-case", role: "Vault-Sync-Operator", path: "kv/data/platform/app"})
	expectNoHarm()
}

// platformUser is pat, with edit in the platform namespace and in the
// namespace named like the operator's role.
func platformUser() client.Client {
	pat, err := tenant(context.Background(), "pat", "edit", platformNS, rig.OperatorRole)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return pat
}

// TestANamespacePrefixNeverReachesAnother: the {{namespace}} templates of
// examples/grants/team-namespaces.yaml give namespace "team" role "team"
// and paths below kv/data/team/ and secret/data/team/: never team-a's
// role, reads or writes, though "team-a" starts with "team".
func TestANamespacePrefixNeverReachesAnother(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	trudy, err := tenant(ctx, "trudy", "edit", teamPrefixOfA)
	Expect(err).NotTo(HaveOccurred())
	expectLoginsRefused(trudy, teamPrefixOfA, loginAttempt{name: "own-role", role: teamPrefixOfA, path: "kv/data/team/app"},
		loginAttempt{name: "team-a-role", role: teamA, path: "kv/data/team-a/app"})

	createAs(trudy, loginAttempt{name: "team-a-path", role: teamPrefixOfA, path: "kv/data/team-a/app"}.app(teamPrefixOfA))
	expectRefused(teamPrefixOfA, "team-a-path", appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonPathNotAllowed)

	p := push{teamPrefixOfA, "push-to-team-a", "secret/data/team-a/from-team"}
	Expect(createPush(ctx, trudy, p, "trudy")).To(Succeed())
	expectEvent(1, teamPrefixOfA, p.deployment, appv1alpha1.ReasonPathNotAllowed)
	Expect(env.ReadKV(p.path)).To(BeNil())
	Expect(e2e.Get(env.Client, teamPrefixOfA, "team-a-path-vault-secrets", &corev1.Secret{})).To(BeNil())
	expectNoHarm()
}
