package ha

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestLeaderChangeKeepsLeases: a VaultApp holds a lease of Vault's
// Kubernetes secrets engine (examples/dynamic/ci-deployer.yaml). The leader
// is killed; the new leader picks the lease up (it is looked up, not
// re-issued), adopts the Vault token that issued it (no new login for the
// role, so the lease does not die with an unrenewed token), and rolls
// nothing.
func TestLeaderChangeKeepsLeases(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(env.EnableKubernetesEngine(ctx, "deployer", "ci", "deployer")).To(Succeed())
	hcl, err := env.ReadRepoFile("examples/dynamic/vault-policies-kubernetes.hcl")
	Expect(err).NotTo(HaveOccurred())
	Expect(env.WriteOperatorRole(ctx, "ci-deployer", hcl, "")).To(Succeed())
	a, b := startReplicas(t)

	env.ApplyFile("examples/dynamic/ci-deployer.yaml")
	key := client.ObjectKey{Namespace: "ci", Name: "ci-deployer"}
	lease := func() string { return env.LeaseID(key.Namespace, key.Name) }
	Eventually(lease, 30*time.Second, 250*time.Millisecond).Should(HavePrefix("kubernetes-secrets/creds/deployer/"))
	l1 := lease()
	var dep appsv1.Deployment
	Eventually(func() error { return env.Client.Get(ctx, key, &dep) }, 10*time.Second).Should(Succeed())
	tokens, err := env.Vault.TokenAccessors(ctx, "ci-deployer")
	Expect(err).NotTo(HaveOccurred())
	Expect(tokens).To(HaveLen(1))

	leader, standby := electedLeader(a, b)
	leader.Kill()
	Eventually(standby.IsLeader, 40*time.Second, 500*time.Millisecond).Should(BeTrue())
	// The new leader has reconciled the VaultApp...
	Eventually(standby.Metric("vault_sync_operator_vaultapp_syncs_total", "vaultapp", "ci-deployer", "result", "success"),
		20*time.Second, 250*time.Millisecond).Should(BeNumerically(">", 0))
	// ...kept the lease, made no new login for the role, rolled nothing.
	Consistently(lease, 5*time.Second, 500*time.Millisecond).Should(Equal(l1))
	Expect(env.Vault.TokenAccessors(ctx, "ci-deployer")).To(Equal(tokens), "the stored token was adopted")
	var after appsv1.Deployment
	Expect(env.Client.Get(ctx, key, &after)).To(Succeed())
	Expect(after.Generation).To(Equal(dep.Generation))
	_, err = env.Vault.Root.Sys().Lookup(l1)
	Expect(err).NotTo(HaveOccurred(), "the lease is alive")
}
