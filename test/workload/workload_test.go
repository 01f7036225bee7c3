package workload

import (
	"context"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestPushAsTheWorkload: a Deployment's Secrets are written with its own
// service account's Vault role; Vault, not the operator, refuses another
// team's prefix, a service account the role does not bind, and another
// team's role. Logins are cached per identity, not made per sync.
func TestPushAsTheWorkload(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	env.Create(e2e.NewSecret("team-a", "creds", "password", "wl-secret-1"))

	env.Create(deployment("team-a", "web", "app", map[string]string{pushsync.AnnotationPath: "secret/data/team-a/web"}))
	Eventually(func() any { return env.ReadKV("secret/data/team-a/web/creds")["password"] }, 15*time.Second, 200*time.Millisecond).Should(Equal("wl-secret-1"))

	env.Create(deployment("team-a", "steal", "app", map[string]string{pushsync.AnnotationPath: "secret/data/team-b/stolen"}))
	Eventually(eventTexts("team-a", "steal"), 15*time.Second, 200*time.Millisecond).Should(ContainElement(ContainSubstring("permission denied")))
	Expect(env.ReadKV("secret/data/team-b/stolen/creds")["password"]).To(BeNil(), "Vault's policy for team-a kept it out of team-b")

	env.Create(deployment("team-a", "intruder", "intruder", map[string]string{pushsync.AnnotationPath: "secret/data/team-a/intruder"}))
	Eventually(eventTexts("team-a", "intruder"), 15*time.Second, 200*time.Millisecond).Should(
		ContainElement(And(ContainSubstring("AuthFailed"), ContainSubstring("failed to authenticate"))))

	env.Create(deployment("team-a", "borrow", "app", map[string]string{pushsync.AnnotationPath: "secret/data/team-b/borrowed", pushsync.AnnotationRole: "team-b"}))
	Eventually(eventTexts("team-a", "borrow"), 15*time.Second, 200*time.Millisecond).Should(ContainElement(ContainSubstring("AuthFailed")))
	Expect(env.ReadKV("secret/data/team-b/borrowed/creds")["password"]).To(BeNil())

	// Cached logins: a changed Secret syncs again without a new login.
	successfulLogins := op.Metric("vault_sync_operator_auth_attempts_total", "result", "success")
	logins := successfulLogins()
	sec := &corev1.Secret{}
	Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "creds"}, sec)).To(Succeed())
	sec.StringData = map[string]string{"password": "wl-secret-2"}
	Expect(env.Client.Update(ctx, sec)).To(Succeed())
	Eventually(func() any { return env.ReadKV("secret/data/team-a/web/creds")["password"] }, 15*time.Second, 200*time.Millisecond).Should(Equal("wl-secret-2"))
	Expect(successfulLogins()).To(Equal(logins))
}

// TestVaultAppAsTheWorkload: a VaultApp reads with its pod template's
// service account; the same role used from another namespace is refused by
// Vault, and the condition says which service account Vault saw.
func TestVaultAppAsTheWorkload(t *testing.T) {
	RegisterTestingT(t)
	env.PutKV("kv/data/team-a/config", map[string]any{"url": "postgres://team-a"})
	env.Create(vaultApp("team-a", "reader", "team-a"), vaultApp("team-b", "borrower", "team-a"))
	Eventually(func() string { return string(env.AppSecretData("team-a", "reader")["url"]) }, 15*time.Second, 200*time.Millisecond).Should(Equal("postgres://team-a"))
	Eventually(env.ConditionWithMessage("team-b", "borrower", appv1alpha1.ConditionVaultAuthenticated), 15*time.Second, 200*time.Millisecond).Should(
		And(HavePrefix("False/AuthFailed"), ContainSubstring("the app's service account team-b/app")))
}

// TestVaultAppAsTheWorkloadWithJWT: workload identity over Vault's JWT
// auth method: the app's own service-account token is checked against the
// apiserver's issuer keys (no token reviewer), and its subject must be the
// role's bound subject.
func TestVaultAppAsTheWorkloadWithJWT(t *testing.T) {
	RegisterTestingT(t)
	env.PutKV("kv/data/team-b/config", map[string]any{"url": "postgres://team-b"})
	own := vaultApp("team-b", "jwt-reader", "team-b")
	own.Spec.Vault.AuthMethod = "jwt"
	own.Spec.Vault.Secrets[0].Path = "kv/data/team-b/config"
	intruder := vaultApp("team-b", "jwt-intruder", "team-b")
	intruder.Spec.Vault.AuthMethod = "jwt"
	intruder.Spec.DeploymentSpec.Template.Spec.ServiceAccountName = "intruder"
	env.Create(own, intruder)
	Eventually(func() string { return string(env.AppSecretData("team-b", "jwt-reader")["url"]) }, 15*time.Second, 200*time.Millisecond).Should(Equal("postgres://team-b"))
	Eventually(env.ConditionWithMessage("team-b", "jwt-intruder", appv1alpha1.ConditionVaultAuthenticated), 15*time.Second, 200*time.Millisecond).Should(
		And(HavePrefix("False/AuthFailed"), ContainSubstring("team-b/intruder"), ContainSubstring("auth/jwt")))
}

// TestReadyWithoutAnOperatorRole: in workload-identity mode the operator
// has no Vault role of its own (the suite deleted it), and is ready as long
// as Vault answers.
func TestReadyWithoutAnOperatorRole(t *testing.T) {
	RegisterTestingT(t)
	Eventually(op.Probe("/readyz"), 10*time.Second, 200*time.Millisecond).Should(Equal(http.StatusOK))
}

// deployment is an annotated Deployment whose pods run as service account
// sa and use the Secret "creds".
func deployment(ns, name, sa string, ann map[string]string) *appsv1.Deployment {
	d := e2e.NewDeployment(ns, name, ann, "creds")
	d.Spec.Template.Spec.ServiceAccountName = sa
	return d
}

// vaultApp reads kv/data/team-a/config with role, as service account "app".
func vaultApp(ns, name, role string) *appv1alpha1.VaultApp {
	app := e2e.NewVaultApp(ns, name, role, appv1alpha1.SecretRef{Path: "kv/data/team-a/config", Key: "url", TargetKey: "url"})
	app.Spec.DeploymentSpec.Template.Spec.ServiceAccountName = "app"
	return app
}

// eventTexts is a poller of the object's events ("Reason: Message").
func eventTexts(ns, name string) func() []string {
	return func() []string { return env.EventTexts(ns, name) }
}
