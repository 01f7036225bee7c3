package dynamic

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestDatabaseCredentialsLifecycle follows one lease of Vault's database
// engine on a real PostgreSQL (role TTL 30s, max TTL 65s) through renewal,
// an operator restart, rotation before max TTL, revocation of the replaced
// credentials after the rollout, a revoked Vault token, and deletion.
func TestDatabaseCredentialsLifecycle(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	app := env.LoadVaultApp("examples/dynamic/billing-db.yaml")
	app.Spec.Vault.Leases.RevokeGracePeriod = appv1alpha1.NewDuration(3 * time.Second) // the example's 30s outlives the test's 65s max TTL
	ns, name := app.Namespace, app.Name
	Expect(env.EnsureNamespace(ctx, ns)).To(Succeed())
	env.Create(app)

	By := func(string) {}
	By("credentials are issued once and really log in")
	Eventually(func() string { return env.LeaseID(ns, name) }, 30*time.Second, 250*time.Millisecond).ShouldNot(BeEmpty())
	l1 := env.LeaseID(ns, name)
	Expect(l1).To(HavePrefix("database/creds/billing/"))
	user1, pass1 := creds(ns, name)
	Expect(pg.Login(user1, pass1)).To(Succeed())
	Eventually(env.Condition(ns, name, "Ready"), 60*time.Second, 500*time.Millisecond).Should(Equal("True/Succeeded"))
	Expect(env.Condition(ns, name, "LeasesHealthy")()).To(Equal("True/LeasesValid"))
	issued := env.AppStatus(ns, name).Leases[0]
	Expect(issued.ExpireTime.Sub(issued.IssueTime.Time)).To(BeNumerically("~", 30*time.Second, 2*time.Second))

	By("the lease is renewed (its expiry moves), with the same credentials")
	Eventually(func() time.Duration {
		st := env.AppStatus(ns, name).Leases[0]
		return st.ExpireTime.Sub(issued.ExpireTime.Time)
	}, 30*time.Second, 500*time.Millisecond).Should(BeNumerically(">", 5*time.Second))
	Expect(env.LeaseID(ns, name)).To(Equal(l1))
	Expect(leaseTTL(l1)).To(BeNumerically(">", 10*time.Second), "Vault's own view of the lease moved too")

	By("an operator restart issues nothing and rolls nothing, and adopts the token that holds the lease")
	gen := e2e.Get(env.Client, ns, name, &appsv1.Deployment{}).Generation
	tokens := len(tokensOfRole("billing-db"))
	Expect(op.Restart()).To(Succeed())
	Consistently(func() string { return env.LeaseID(ns, name) }, 6*time.Second, 500*time.Millisecond).Should(Equal(l1))
	Expect(e2e.Get(env.Client, ns, name, &appsv1.Deployment{}).Generation).To(Equal(gen))
	Expect(tokensOfRole("billing-db")).To(HaveLen(tokens), "no new login: the stored token was adopted and is renewed")
	Expect(pg.Login(user1, pass1)).To(Succeed())

	By("before max TTL new credentials arrive, log in, and roll the pods")
	Eventually(func() string { return env.LeaseID(ns, name) }, 60*time.Second, 250*time.Millisecond).ShouldNot(Equal(l1))
	l2 := env.LeaseID(ns, name)
	user2, pass2 := creds(ns, name)
	Expect(user2).NotTo(Equal(user1))
	Expect(pg.Login(user2, pass2)).To(Succeed())
	Expect(env.EventTexts(ns, name)).To(ContainElement(HavePrefix("CredentialsRotated: ")))
	Eventually(func() int64 { return e2e.Get(env.Client, ns, name, &appsv1.Deployment{}).Generation }, 10*time.Second).Should(BeNumerically(">", gen))

	By("after the rollout and the grace period the old credentials are revoked")
	Eventually(func() bool { return roleExists(user1) }, 30*time.Second, 500*time.Millisecond).Should(BeFalse())
	Expect(pg.Login(user1, pass1)).To(HaveOccurred())
	Expect(env.EventTexts(ns, name)).To(ContainElement(HavePrefix("LeaseRevoked: ")), "revoked by the operator, not expired")
	Expect(env.AppStatus(ns, name).RetiringLeases).To(BeEmpty())
	Expect(pg.Login(user2, pass2)).To(Succeed())

	By("the Vault token that issued the lease is revoked: new credentials within seconds")
	revokeTokensOfRole("billing-db")
	Eventually(func() bool { return roleExists(user2) }, 10*time.Second, 250*time.Millisecond).Should(BeFalse())
	Eventually(func() string { return env.LeaseID(ns, name) }, 15*time.Second, 250*time.Millisecond).ShouldNot(Equal(l2))
	user3, pass3 := creds(ns, name)
	Expect(pg.Login(user3, pass3)).To(Succeed())

	By("deleting the VaultApp revokes its lease")
	Expect(env.Client.Delete(ctx, e2e.Get(env.Client, ns, name, app))).To(Succeed())
	Eventually(env.Gone(ns, name, &appv1alpha1.VaultApp{}), 30*time.Second, 250*time.Millisecond).Should(BeTrue())
	Expect(roleExists(user3)).To(BeFalse())
	Expect(pg.Login(user3, pass3)).To(HaveOccurred())
}

func roleExists(user string) bool {
	ok, err := pg.RoleExists(user)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return ok
}

func creds(ns, name string) (string, string) {
	d := env.AppSecretData(ns, name)
	return string(d["db_username"]), string(d["db_password"])
}

// leaseTTL is what Vault says is left of a lease.
func leaseTTL(id string) time.Duration {
	s, err := env.Vault.Root.Sys().Lookup(id)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	n, _ := s.Data["ttl"].(interface{ Int64() (int64, error) }).Int64()
	return time.Duration(n) * time.Second
}

// tokensOfRole lists the accessors of the live tokens of a role.
func tokensOfRole(role string) []string {
	accs, err := env.Vault.TokenAccessors(context.Background(), role)
	ExpectWithOffset(2, err).NotTo(HaveOccurred())
	return accs
}

// revokeTokensOfRole revokes every token Vault issued for a Kubernetes
// auth role (with their leases), as an administrator would.
func revokeTokensOfRole(role string) {
	accs := tokensOfRole(role)
	ExpectWithOffset(1, accs).NotTo(BeEmpty(), "no token of role %s found", role)
	for _, acc := range accs {
		_, err := env.Vault.Root.Logical().Write("auth/token/revoke-accessor", map[string]any{"accessor": acc})
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
	}
}
