package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// TestVaultOutageDuringASyncBurst: Vault disappears while 30 Deployments
// are being synced. The operator keeps running, retries back off instead of
// spinning, data already written stays, and once Vault returns every
// Deployment converges.
func TestVaultOutageDuringASyncBurst(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "outage")
	create(newSecret(ns, "before", "k", "written-before"))
	create(newDeployment(ns, "before", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/before"}, "before"))
	eventuallyVault("secret/data/" + ns + "/before/before").ShouldNot(BeNil())

	testRig.Vault.Proxy.SetDown(true)
	defer testRig.Vault.Proxy.SetDown(false)
	const n = 30
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("d%d", i)
		create(newSecret(ns, name, "k", name))
		create(newDeployment(ns, name, map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/" + name}, name))
	}
	start := testRig.Vault.Proxy.Connections()
	time.Sleep(10 * time.Second)
	attempts := testRig.Vault.Proxy.Connections() - start
	// Per object the backoff is 1s, 2s, 4s, 8s...: about 4 tries in 10s. A
	// hot loop would make thousands.
	Expect(attempts).To(BeNumerically("<", n*8), "retries back off")
	Expect(probe("/healthz/ping")()).To(Equal(200), "the operator is alive")

	testRig.Vault.Proxy.SetDown(false)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("d%d", i)
		Eventually(func() map[string]any { return vaultKV("secret/data/" + ns + "/" + name + "/" + name) }, 60*time.Second, 250*time.Millisecond).
			Should(Equal(map[string]any{"k": name}))
	}
	Expect(vaultKV("secret/data/"+ns+"/before/before")).To(Equal(map[string]any{"k": "written-before"}), "nothing lost")
}

// TestSlowVault: with 300ms added to every Vault connection, syncs still
// complete and a change still reaches Vault.
func TestSlowVault(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "slow")
	testRig.Vault.Proxy.SetLatency(300 * time.Millisecond)
	defer testRig.Vault.Proxy.SetLatency(0)
	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	Eventually(func() map[string]any { return vaultKV("secret/data/" + ns + "/creds") }, 30*time.Second, 250*time.Millisecond).
		Should(Equal(map[string]any{"k": "v"}))
}

// TestSealedVault: while Vault is sealed the operator reports it
// (/healthz), retries with backoff, and syncs once Vault is unsealed.
func TestSealedVault(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "sealed")
	key, err := testRig.Vault.UnsealKey()
	Expect(err).NotTo(HaveOccurred())
	Expect(testRig.Vault.Root.Sys().Seal()).To(Succeed())
	defer func() { _, _ = testRig.Vault.Root.Sys().Unseal(key) }()

	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	eventuallyEvent(ns, "app", "VaultWriteFailed")
	Eventually(probe("/healthz"), 15*time.Second, 250*time.Millisecond).Should(Equal(500))
	Expect(probe("/healthz/ping")()).To(Equal(200))

	_, err = testRig.Vault.Root.Sys().Unseal(key)
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() map[string]any { return vaultKV("secret/data/" + ns + "/creds") }, 60*time.Second, 250*time.Millisecond).
		Should(Equal(map[string]any{"k": "v"}))
	Eventually(probe("/healthz"), 15*time.Second, 250*time.Millisecond).Should(Equal(200))
}

// TestVaultAnswering503: Vault returning 5xx is "unavailable", retried with
// backoff, and the sync completes when Vault recovers.
func TestVaultAnswering503(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "fivexx")
	testRig.Vault.Proxy.SetHTTPStatus(503)
	defer testRig.Vault.Proxy.SetHTTPStatus(0)
	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	eventuallyEvent(ns, "app", "VaultWriteFailed")
	start := testRig.Vault.Proxy.Connections()
	time.Sleep(5 * time.Second)
	Expect(testRig.Vault.Proxy.Connections()-start).To(BeNumerically("<", 40), "retries back off")
	testRig.Vault.Proxy.SetHTTPStatus(0)
	Eventually(func() map[string]any { return vaultKV("secret/data/" + ns + "/creds") }, 60*time.Second, 250*time.Millisecond).
		Should(Equal(map[string]any{"k": "v"}))
}

// TestPolicyRemovedAndRestored: the operator's policy loses write access,
// the sync reports permission denied without losing anything, and
// converges once the policy is restored.
func TestPolicyRemovedAndRestored(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "policyloss")
	create(newSecret(ns, "creds", "k", "v1"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	eventuallyVault("secret/data/" + ns + "/creds").Should(Equal(map[string]any{"k": "v1"}))

	ctx := context.Background()
	full, err := testRig.Vault.Root.Sys().GetPolicy(rig.OperatorPolicyName)
	Expect(err).NotTo(HaveOccurred())
	Expect(testRig.Vault.WritePolicy(ctx, rig.OperatorPolicyName, `path "sys/internal/ui/mounts/*" { capabilities = ["read"] }
path "secret/*" { capabilities = ["read"] }`)).To(Succeed())
	defer func() { _ = testRig.Vault.WritePolicy(ctx, rig.OperatorPolicyName, full) }()

	s := &corev1.Secret{}
	Expect(testRig.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "creds"}, s)).To(Succeed())
	s.Data["k"] = []byte("v2")
	Expect(testRig.Client.Update(ctx, s)).To(Succeed())
	eventuallyEvent(ns, "app", "failed to write secret to vault: permission denied")
	Expect(vaultKV("secret/data/"+ns+"/creds")).To(Equal(map[string]any{"k": "v1"}), "nothing lost")

	Expect(testRig.Vault.WritePolicy(ctx, rig.OperatorPolicyName, full)).To(Succeed())
	Eventually(func() map[string]any { return vaultKV("secret/data/" + ns + "/creds") }, 60*time.Second, 250*time.Millisecond).
		Should(Equal(map[string]any{"k": "v2"}))
}
