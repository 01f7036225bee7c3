package integration

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
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
