package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestPushNeverTakesOverForeignData: a path that holds data the operator
// did not write, or data written for another Deployment, gets a conflict
// error; nothing is written there, and deleting the Deployment deletes
// nothing there.
func TestPushNeverTakesOverForeignData(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("owner")
	env.Create(e2e.NewSecret(ns, "creds", "k", "mine"))

	// Written for Deployment "first": stamped with its owner.
	env.Create(e2e.NewDeployment(ns, "first", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/shared",
		pushsync.AnnotationSecrets: `[{"name":"creds"}]`}))
	env.EventuallyKV("secret/data/" + ns + "/shared").Should(Equal(map[string]any{"k": "mine"}))
	Expect(customMetadata("secret/metadata/" + ns + "/shared")).To(HaveKeyWithValue(vault.MetaOwner, "/"+ns+"/Deployment/first"))

	// A second Deployment on the same path: conflict, first's data intact.
	env.Create(e2e.NewSecret(ns, "other", "k", "theirs"))
	env.Create(e2e.NewDeployment(ns, "second", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/shared",
		pushsync.AnnotationSecrets: `[{"name":"other"}]`}))
	env.EventuallyEvent(ns, "second", "VaultPathConflict: failed to write secret to vault: conflict (path \"secret/data/"+ns+"/shared\"): it belongs to /"+ns+"/Deployment/first")
	Expect(env.ReadKV("secret/data/" + ns + "/shared")).To(Equal(map[string]any{"k": "mine"}))

	// Data someone wrote by hand: never overwritten.
	env.PutKV("secret/data/"+ns+"/manual", map[string]any{"k": "by-hand"})
	env.Create(e2e.NewDeployment(ns, "third", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/manual",
		pushsync.AnnotationSecrets: `[{"name":"creds"}]`}))
	env.EventuallyEvent(ns, "third", "VaultPathConflict: failed to write secret to vault: conflict (path \"secret/data/"+ns+"/manual\"): a secret exists there that this operator did not write")
	Expect(env.ReadKV("secret/data/" + ns + "/manual")).To(Equal(map[string]any{"k": "by-hand"}))

	// Deleting the Deployments that never wrote there deletes nothing there.
	Expect(env.Client.Delete(context.Background(), e2e.Get(env.Client, ns, "second", &appsv1.Deployment{}))).To(Succeed())
	Expect(env.Client.Delete(context.Background(), e2e.Get(env.Client, ns, "third", &appsv1.Deployment{}))).To(Succeed())
	Eventually(env.Gone(ns, "second", &appsv1.Deployment{}), 20*time.Second).Should(BeTrue())
	Eventually(env.Gone(ns, "third", &appsv1.Deployment{}), 20*time.Second).Should(BeTrue())
	Expect(env.ReadKV("secret/data/" + ns + "/shared")).To(Equal(map[string]any{"k": "mine"}))
	Expect(env.ReadKV("secret/data/" + ns + "/manual")).To(Equal(map[string]any{"k": "by-hand"}))
}

// TestPushLeavesDataThatChangedHandsOnDelete: if the metadata of a path the
// operator wrote was changed to another owner, deletion leaves it alone.
func TestPushLeavesDataThatChangedHandsOnDelete(t *testing.T) {
	RegisterTestingT(t)
	ns := pushedCreds("handover", nil)
	Eventually(func() int { return len(env.PushRecord(ns, "app").Locations) }, 10*time.Second).Should(Equal(1))
	_, err := env.Vault.Root.Logical().Write("secret/metadata/"+ns+"/creds", map[string]any{
		"custom_metadata": map[string]any{vault.MetaOwner: "someone/else"}})
	Expect(err).NotTo(HaveOccurred())
	Expect(env.Client.Delete(context.Background(), e2e.Get(env.Client, ns, "app", &appsv1.Deployment{}))).To(Succeed())
	Eventually(env.Gone(ns, "app", &appsv1.Deployment{}), 20*time.Second).Should(BeTrue(), "a conflict does not hold the finalizer forever")
	Expect(env.ReadKV("secret/data/" + ns + "/creds")).To(Equal(map[string]any{"k": "v"}))
}
