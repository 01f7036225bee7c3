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
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// TestVaultOutageDuringASyncBurst: Vault disappears while 30 Deployments
// are being synced. The operator keeps running, retries back off instead of
// spinning, data already written stays, and once Vault returns every
// Deployment converges.
func TestVaultOutageDuringASyncBurst(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("outage")
	env.Create(e2e.NewSecret(ns, "before", "k", "written-before"))
	env.Create(e2e.NewDeployment(ns, "before", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/before"}, "before"))
	env.EventuallyKV("secret/data/" + ns + "/before/before").ShouldNot(BeNil())

	env.Vault.Proxy.SetDown(true)
	defer env.Vault.Proxy.SetDown(false)
	const n = 30
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("d%d", i)
		env.Create(e2e.NewSecret(ns, name, "k", name))
		env.Create(e2e.NewDeployment(ns, name, map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/" + name}, name))
	}
	start := env.Vault.Proxy.Connections()
	time.Sleep(10 * time.Second)
	attempts := env.Vault.Proxy.Connections() - start
	// Per object the backoff is 1s, 2s, 4s, 8s...: about 4 tries in 10s. A
	// hot loop would make thousands.
	Expect(attempts).To(BeNumerically("<", n*8), "retries back off")
	Expect(op.Probe("/healthz/ping")()).To(Equal(200), "the operator is alive")

	env.Vault.Proxy.SetDown(false)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("d%d", i)
		Eventually(func() map[string]any { return env.ReadKV("secret/data/" + ns + "/" + name + "/" + name) }, 60*time.Second, 250*time.Millisecond).
			Should(Equal(map[string]any{"k": name}))
	}
	Expect(env.ReadKV("secret/data/"+ns+"/before/before")).To(Equal(map[string]any{"k": "written-before"}), "nothing lost")
}

// TestSlowVault: with 300ms added to every Vault connection, syncs still
// complete and a change still reaches Vault.
func TestSlowVault(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("slow")
	env.Vault.Proxy.SetLatency(300 * time.Millisecond)
	defer env.Vault.Proxy.SetLatency(0)
	env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
	env.Create(e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	Eventually(func() map[string]any { return env.ReadKV("secret/data/" + ns + "/creds") }, 30*time.Second, 250*time.Millisecond).
		Should(Equal(map[string]any{"k": "v"}))
}

// TestSealedVault: while Vault is sealed the operator reports it
// (/healthz), retries with backoff, and syncs once Vault is unsealed.
func TestSealedVault(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("sealed")
	key, err := env.Vault.UnsealKey()
	Expect(err).NotTo(HaveOccurred())
	Expect(env.Vault.Root.Sys().Seal()).To(Succeed())
	defer func() { _, _ = env.Vault.Root.Sys().Unseal(key) }()

	env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
	env.Create(e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	env.EventuallyEvent(ns, "app", "VaultWriteFailed")
	Eventually(op.Probe("/healthz"), 15*time.Second, 250*time.Millisecond).Should(Equal(500))
	Expect(op.Probe("/healthz/ping")()).To(Equal(200))

	_, err = env.Vault.Root.Sys().Unseal(key)
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() map[string]any { return env.ReadKV("secret/data/" + ns + "/creds") }, 60*time.Second, 250*time.Millisecond).
		Should(Equal(map[string]any{"k": "v"}))
	Eventually(op.Probe("/healthz"), 15*time.Second, 250*time.Millisecond).Should(Equal(200))
}

// TestVaultAnswering503: Vault returning 5xx is "unavailable", retried with
// backoff, and the sync completes when Vault recovers.
func TestVaultAnswering503(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("fivexx")
	env.Vault.Proxy.SetHTTPStatus(503)
	defer env.Vault.Proxy.SetHTTPStatus(0)
	env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
	env.Create(e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	env.EventuallyEvent(ns, "app", "VaultWriteFailed")
	start := env.Vault.Proxy.Connections()
	time.Sleep(5 * time.Second)
	Expect(env.Vault.Proxy.Connections()-start).To(BeNumerically("<", 40), "retries back off")
	env.Vault.Proxy.SetHTTPStatus(0)
	Eventually(func() map[string]any { return env.ReadKV("secret/data/" + ns + "/creds") }, 60*time.Second, 250*time.Millisecond).
		Should(Equal(map[string]any{"k": "v"}))
}

// TestPolicyRemovedAndRestored: the operator's policy loses write access,
// the sync reports permission denied without losing anything, and
// converges once the policy is restored.
func TestPolicyRemovedAndRestored(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("policyloss")
	env.Create(e2e.NewSecret(ns, "creds", "k", "v1"))
	env.Create(e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	env.EventuallyKV("secret/data/" + ns + "/creds").Should(Equal(map[string]any{"k": "v1"}))

	ctx := context.Background()
	full, err := env.Vault.Root.Sys().GetPolicy(rig.OperatorPolicyName)
	Expect(err).NotTo(HaveOccurred())
	Expect(env.Vault.WritePolicy(ctx, rig.OperatorPolicyName, `path "sys/internal/ui/mounts/*" { capabilities = ["read"] }
path "secret/*" { capabilities = ["read"] }`)).To(Succeed())
	defer func() { _ = env.Vault.WritePolicy(ctx, rig.OperatorPolicyName, full) }()

	s := &corev1.Secret{}
	Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "creds"}, s)).To(Succeed())
	s.Data["k"] = []byte("v2")
	Expect(env.Client.Update(ctx, s)).To(Succeed())
	env.EventuallyEvent(ns, "app", "failed to write secret to vault: permission denied")
	Expect(env.ReadKV("secret/data/"+ns+"/creds")).To(Equal(map[string]any{"k": "v1"}), "nothing lost")

	Expect(env.Vault.WritePolicy(ctx, rig.OperatorPolicyName, full)).To(Succeed())
	Eventually(func() map[string]any { return env.ReadKV("secret/data/" + ns + "/creds") }, 60*time.Second, 250*time.Millisecond).
		Should(Equal(map[string]any{"k": "v2"}))
}
