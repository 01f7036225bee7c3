package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func customMetadata(path string) map[string]any {
	s, err := testRig.Vault.Root.Logical().Read(path)
	if err != nil || s == nil {
		return nil
	}
	m, _ := s.Data["custom_metadata"].(map[string]any)
	return m
}

// TestPushNeverTakesOverForeignData: a path that holds data the operator
// did not write, or data written for another Deployment, gets a conflict
// error; nothing is written there, and deleting the Deployment deletes
// nothing there.
func TestPushNeverTakesOverForeignData(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "owner")
	create(newSecret(ns, "creds", "k", "mine"))

	// Written for Deployment "first": stamped with its owner.
	create(newDeployment(ns, "first", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/shared",
		pushsync.AnnotationSecrets: `[{"name":"creds"}]`}))
	eventuallyVault("secret/data/" + ns + "/shared").Should(Equal(map[string]any{"k": "mine"}))
	Expect(customMetadata("secret/metadata/" + ns + "/shared")).To(HaveKeyWithValue(vault.MetaOwner, "/"+ns+"/Deployment/first"))

	// A second Deployment on the same path: conflict, first's data intact.
	create(newSecret(ns, "other", "k", "theirs"))
	create(newDeployment(ns, "second", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/shared",
		pushsync.AnnotationSecrets: `[{"name":"other"}]`}))
	eventuallyEvent(ns, "second", "VaultPathConflict: failed to write secret to vault: conflict (path \"secret/data/"+ns+"/shared\"): it belongs to /"+ns+"/Deployment/first")
	Expect(vaultKV("secret/data/" + ns + "/shared")).To(Equal(map[string]any{"k": "mine"}))

	// Data someone wrote by hand: never overwritten.
	kvPut("secret/data/"+ns+"/manual", map[string]any{"k": "by-hand"})
	create(newDeployment(ns, "third", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/manual",
		pushsync.AnnotationSecrets: `[{"name":"creds"}]`}))
	eventuallyEvent(ns, "third", "VaultPathConflict: failed to write secret to vault: conflict (path \"secret/data/"+ns+"/manual\"): a secret exists there that this operator did not write")
	Expect(vaultKV("secret/data/" + ns + "/manual")).To(Equal(map[string]any{"k": "by-hand"}))

	// Deleting the Deployments that never wrote there deletes nothing there.
	Expect(testRig.Client.Delete(context.Background(), getDeployment(ns, "second"))).To(Succeed())
	Expect(testRig.Client.Delete(context.Background(), getDeployment(ns, "third"))).To(Succeed())
	Eventually(deploymentGone(ns, "second"), 20*time.Second).Should(BeTrue())
	Eventually(deploymentGone(ns, "third"), 20*time.Second).Should(BeTrue())
	Expect(vaultKV("secret/data/" + ns + "/shared")).To(Equal(map[string]any{"k": "mine"}))
	Expect(vaultKV("secret/data/" + ns + "/manual")).To(Equal(map[string]any{"k": "by-hand"}))
}

// TestPushLeavesDataThatChangedHandsOnDelete: if the metadata of a path the
// operator wrote was changed to another owner, deletion leaves it alone.
func TestPushLeavesDataThatChangedHandsOnDelete(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "handover")
	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	eventuallyVault("secret/data/" + ns + "/creds").ShouldNot(BeNil())
	Eventually(func() int { return len(recordedState(ns, "app").Locations) }, 10*time.Second).Should(Equal(1))
	_, err := testRig.Vault.Root.Logical().Write("secret/metadata/"+ns+"/creds", map[string]any{
		"custom_metadata": map[string]any{vault.MetaOwner: "someone/else"}})
	Expect(err).NotTo(HaveOccurred())
	Expect(testRig.Client.Delete(context.Background(), getDeployment(ns, "app"))).To(Succeed())
	Eventually(deploymentGone(ns, "app"), 20*time.Second).Should(BeTrue(), "a conflict does not hold the finalizer forever")
	Expect(vaultKV("secret/data/" + ns + "/creds")).To(Equal(map[string]any{"k": "v"}))
}
