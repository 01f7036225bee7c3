package ha

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
	"github.com/vault-sync-io/vault-sync-operator/test/opproc"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
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
	root, _ := rig.RepoRoot()
	Expect(testRig.EnableKubernetesEngine(ctx, "deployer", "ci", "deployer")).To(Succeed())
	hcl, err := os.ReadFile(filepath.Join(root, "examples/dynamic/vault-policies-kubernetes.hcl"))
	Expect(err).NotTo(HaveOccurred())
	Expect(testRig.Vault.WritePolicy(ctx, "ci-deployer", string(hcl))).To(Succeed())
	Expect(testRig.Vault.WriteKubernetesRole(ctx, "kubernetes", "ci-deployer", rig.KubernetesRole{
		ServiceAccountNames: []string{rig.OperatorServiceAccount}, Namespaces: []string{rig.OperatorNamespace},
		Policies: []string{"ci-deployer"}, TTL: time.Hour})).To(Succeed())

	bin, err := opproc.Build(testRig, root)
	Expect(err).NotTo(HaveOccurred())
	args := []string{"--leader-elect", "--leader-election-namespace=" + rig.OperatorNamespace}
	a, err := opproc.Start(ctx, testRig, bin, nil, args...)
	Expect(err).NotTo(HaveOccurred())
	defer a.Stop()
	b, err := opproc.Start(ctx, testRig, bin, nil, args...)
	Expect(err).NotTo(HaveOccurred())
	defer b.Stop()

	Expect(manifests.CreateFile(ctx, testRig.Client, filepath.Join(root, "examples/dynamic/ci-deployer.yaml"))).To(Succeed())
	key := client.ObjectKey{Namespace: "ci", Name: "ci-deployer"}
	lease := func() string {
		var app appv1alpha1.VaultApp
		if testRig.Client.Get(ctx, key, &app) != nil || len(app.Status.Leases) == 0 {
			return ""
		}
		return app.Status.Leases[0].LeaseID
	}
	Eventually(lease, 30*time.Second, 250*time.Millisecond).Should(HavePrefix("kubernetes-secrets/creds/deployer/"))
	l1 := lease()
	var dep appsv1.Deployment
	Eventually(func() error { return testRig.Client.Get(ctx, key, &dep) }, 10*time.Second).Should(Succeed())
	tokens, err := testRig.Vault.TokenAccessors(ctx, "ci-deployer")
	Expect(err).NotTo(HaveOccurred())
	Expect(tokens).To(HaveLen(1))

	Eventually(func() bool { return isLeader(a) != isLeader(b) }, 10*time.Second).Should(BeTrue())
	leader, standby := a, b
	if isLeader(b) {
		leader, standby = b, a
	}
	Expect(leader.Signal(syscall.SIGKILL)).To(Succeed())
	Eventually(func() bool { return isLeader(standby) }, 40*time.Second, 500*time.Millisecond).Should(BeTrue())
	// The new leader has reconciled the VaultApp...
	Eventually(func() float64 {
		m, err := standby.Scrape()
		if err != nil {
			return 0
		}
		return m.Sum("vault_sync_operator_vaultapp_syncs_total", "vaultapp", "ci-deployer", "result", "success")
	}, 20*time.Second, 250*time.Millisecond).Should(BeNumerically(">", 0))
	// ...kept the lease, made no new login for the role, rolled nothing.
	Consistently(lease, 5*time.Second, 500*time.Millisecond).Should(Equal(l1))
	Expect(testRig.Vault.TokenAccessors(ctx, "ci-deployer")).To(Equal(tokens), "the stored token was adopted")
	var after appsv1.Deployment
	Expect(testRig.Client.Get(ctx, key, &after)).To(Succeed())
	Expect(after.Generation).To(Equal(dep.Generation))
	_, err = testRig.Vault.Root.Sys().Lookup(l1)
	Expect(err).NotTo(HaveOccurred(), "the lease is alive")
}
