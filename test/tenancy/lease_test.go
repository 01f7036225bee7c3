package tenancy

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// revokeSelf, pasted into sys/leases/revoke/<id> and cleaned by an HTTP
// client, is auth/token/revoke-self: the shared token of the identity.
const revokeSelf = "../../../auth/token/revoke-self"

// TestCraftedLeaseIDsRevokeNothing: mallory edits the lease record on her
// own dynamic VaultApp's Secret (vaultapp.techweaver.io/leases) to name
// the identity's token through "..", team-b's lease and her colleague's
// lease; then she copies the colleague's sealed record onto it; then she
// deletes her VaultApp. Each record is reported (RecordNotTrusted) and
// ignored: nothing it names is revoked, the token team-a's VaultApps share
// stays alive, and only mallory's own leases are revoked with her app.
func TestCraftedLeaseIDsRevokeNothing(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	env.Create(dynamicApp(teamA, "a-dyn")) // the colleague's
	createAs(mallory, dynamicApp(teamA, "evil-lease"))
	for _, name := range []string{"a-dyn", "evil-lease"} {
		Eventually(env.Condition(teamA, name, appv1alpha1.ConditionReady), 60*time.Second, 250*time.Millisecond).Should(Equal("True/Succeeded"), name)
	}
	colleagueLease, evilLease := env.LeaseID(teamA, "a-dyn"), env.LeaseID(teamA, "evil-lease")
	tokensA, tokensB := tokensAlive(teamA), tokensAlive(teamB)
	Expect(tokensA).NotTo(BeEmpty())
	secret := appv1alpha1.SecretNameFor("evil-lease")

	forged, err := json.Marshal(lease.Record{
		Current: map[string]lease.Issued{"kubernetes-secrets/creds/team-a": {LeaseID: "kubernetes-secrets/creds/team-a/" + revokeSelf, Issued: time.Now()}},
		// Retiring leases are revoked once their grace period is over.
		Retiring: []string{revokeSelf, "sys/leases/revoke-prefix/kubernetes-secrets", victim.lease, colleagueLease},
		MAC:      "bWFsbG9yeSB3YXMgaGVyZQ"})
	Expect(err).NotTo(HaveOccurred())
	Expect(patchAs(mallory, teamA, secret, &corev1.Secret{}, func(s *corev1.Secret) {
		s.Annotations[lease.Annotation] = string(forged)
	})).To(Succeed())
	expectEvent(1, teamA, "evil-lease", appv1alpha1.ReasonRecordNotTrusted)
	expectLeasesAndTokensAlive(colleagueLease, tokensA, tokensB)

	before := eventCount(teamA, "evil-lease", appv1alpha1.ReasonRecordNotTrusted)
	copied := e2e.Get(env.Client, teamA, appv1alpha1.SecretNameFor("a-dyn"), &corev1.Secret{}).Annotations[lease.Annotation]
	Expect(copied).To(ContainSubstring(colleagueLease))
	Expect(patchAs(mallory, teamA, secret, &corev1.Secret{}, func(s *corev1.Secret) {
		s.Annotations[lease.Annotation] = copied
	})).To(Succeed())
	Eventually(func() int32 { return eventCount(teamA, "evil-lease", appv1alpha1.ReasonRecordNotTrusted) }, refusalTimeout, 200*time.Millisecond).
		Should(BeNumerically(">", before), "the copied record is reported")
	expectLeasesAndTokensAlive(colleagueLease, tokensA, tokensB)

	last := env.LeaseID(teamA, "evil-lease")
	Expect(mallory.Delete(ctx, e2e.Get(env.Client, teamA, "evil-lease", &appv1alpha1.VaultApp{}))).To(Succeed())
	Eventually(env.Gone(teamA, "evil-lease", &appv1alpha1.VaultApp{}), refusalTimeout, 200*time.Millisecond).Should(BeTrue())
	Expect(leaseAlive(evilLease)).To(BeFalse(), "mallory's first lease is revoked (replaced, or with her app)")
	Expect(leaseAlive(last)).To(BeFalse(), "mallory's last lease is revoked with her app")
	expectLeasesAndTokensAlive(colleagueLease, tokensA, tokensB)
	Expect(env.Condition(teamA, "a-dyn", appv1alpha1.ConditionReady)()).To(Equal("True/Succeeded"))
	expectNoHarm()
}

// expectLeasesAndTokensAlive checks, for 4 seconds (longer than the
// revocation grace of the apps, 1s), that the colleague's and team-b's
// leases live and that no token the teams' VaultApps logged in with was
// revoked.
func expectLeasesAndTokensAlive(colleagueLease string, tokensA, tokensB []string) {
	ConsistentlyWithOffset(1, func() []bool {
		return []bool{leaseAlive(colleagueLease), leaseAlive(victim.lease)}
	}, 4*time.Second, 250*time.Millisecond).Should(Equal([]bool{true, true}), "[colleague's lease, team-b's lease] alive")
	ExpectWithOffset(1, tokensAlive(teamA)).To(ContainElements(tokensA), "team-a's shared Vault token was revoked")
	ExpectWithOffset(1, tokensAlive(teamB)).To(ContainElements(tokensB), "team-b's Vault token was revoked")
}
