package tenancy

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// forgedLocations are what a forged push record names: team-b's secrets
// (through "..", as KV v1, its KV v2 secret recorded as KV v1, a mount
// with a path in it), the colleague's secrets in team-a, and Vault's own
// paths (the operator's policy, its token).
func forgedLocations() []vault.Location {
	return []vault.Location{
		{Mount: "secret", Version: 2, Path: "team-a/../../metadata/team-b/db"},
		{Mount: "secret", Version: 2, Path: "team-a/../team-b/db"},
		{Mount: "secret", Version: 2, Path: "team-b/db"},
		{Mount: "secret", Version: 1, Path: "team-b/db"},
		{Mount: "secret", Version: 1, Path: "data/team-b/db"},
		{Mount: "secret/data/team-b", Version: 2, Path: "db"},
		{Mount: "secret", Version: 2, Path: "/team-b/db"},
		{Mount: "kv1", Version: 1, Path: "team-b/legacy"},
		{Mount: "kv1", Version: 2, Path: "team-b/legacy"},
		{Mount: "kv1", Version: 1, Path: "team-a/../team-b/legacy"},
		{Mount: "kv1", Version: 1, Path: "shared/team-b-config"},
		{Mount: "secret", Version: 2, Path: "shared/team-b-config"},
		{Mount: "secret", Version: 2, Path: "team-a/db"},
		{Mount: "kv1", Version: 1, Path: "team-a/legacy"},
		{Mount: "sys", Version: 1, Path: "policy/vault-sync-operator"},
		{Mount: "auth/token", Version: 1, Path: "revoke-self"},
		{Mount: "secret", Version: 3, Path: "team-b/db"},
	}
}

// forge is a push record naming locs, with a MAC mallory made up.
func forge(locs ...vault.Location) string {
	return pushsync.State{Hash: "hmac:0000000000000000", Locations: locs, MAC: "bWFsbG9yeSB3YXMgaGVyZQ"}.Encode()
}

// TestForgedPushRecordIsNotTrusted: mallory replaces the record on her own
// Deployment with one naming team-b's, her colleague's and Vault's own
// paths, and changes her Secret so that it syncs: the record is
// reported (RecordNotTrusted), nothing it names is deleted, and the next
// record lists only what the Deployment wrote.
func TestForgedPushRecordIsNotTrusted(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	policyBefore := operatorPolicy()
	p := push{teamA, "forged-sync", "secret/data/team-a/forged-sync"}
	Expect(createPush(context.Background(), mallory, p, "mallory")).To(Succeed())
	env.EventuallyKV(p.path).Should(HaveKeyWithValue("value", "mallory"))
	sealedRecord(p)

	Expect(patchAs(mallory, teamA, p.deployment, &appsv1.Deployment{}, func(d *appsv1.Deployment) {
		d.Annotations[pushsync.AnnotationState] = forge(forgedLocations()...)
	})).To(Succeed())
	// A change of the record alone is not synced (it is what the operator's
	// own patches change); a change of the Secret is.
	Expect(patchAs(mallory, teamA, p.deployment, &corev1.Secret{}, func(s *corev1.Secret) {
		s.Data["value"] = []byte("mallory-2")
	})).To(Succeed())
	env.EventuallyKV(p.path).Should(HaveKeyWithValue("value", "mallory-2"))

	expectEvent(1, teamA, p.deployment, v1alpha1.ReasonRecordNotTrusted)
	Eventually(func() []vault.Location { return env.PushRecord(teamA, p.deployment).Locations }, refusalTimeout, 200*time.Millisecond).
		Should(Equal([]vault.Location{{Mount: "secret", Version: 2, Path: "team-a/forged-sync"}}))
	Expect(operatorPolicy()).To(Equal(policyBefore))
	expectNoHarm()
}

// TestForgedPushRecordOnCleanupDeletesOnlyProvenData: mallory forges the
// record (a change push sync does not act on by itself: only the record
// moved), then ends the sync at once, so that cleanup reads the forged
// record: she deletes one Deployment, and removes the path annotation of
// another. Only what Vault's metadata proves the Deployment wrote (its own
// KV v2 secret, also named in the forged record) is deleted; the record
// is reported (RecordNotTrusted) and the Deployment's finalizer released.
func TestForgedPushRecordOnCleanupDeletesOnlyProvenData(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	policyBefore := operatorPolicy()
	endings := map[string]func(name string) error{
		"forged-delete": func(name string) error {
			return mallory.Delete(ctx, e2e.Get(env.Client, teamA, name, &appsv1.Deployment{}))
		},
		"forged-disable": func(name string) error {
			return patchAs(mallory, teamA, name, &appsv1.Deployment{}, func(d *appsv1.Deployment) {
				delete(d.Annotations, pushsync.AnnotationPath)
				delete(d.Annotations, pushsync.AnnotationSecrets)
			})
		},
	}
	for name, end := range endings {
		p := push{teamA, name, "secret/data/team-a/" + name}
		Expect(createPush(ctx, mallory, p, "mallory")).To(Succeed())
		env.EventuallyKV(p.path).Should(HaveKeyWithValue("value", "mallory"))
		sealedRecord(p)
		own := vault.Location{Mount: "secret", Version: 2, Path: "team-a/" + name}
		Expect(patchAs(mallory, teamA, p.deployment, &appsv1.Deployment{}, func(d *appsv1.Deployment) {
			d.Annotations[pushsync.AnnotationState] = forge(append(forgedLocations(), own)...)
		})).To(Succeed())
		Expect(end(p.deployment)).To(Succeed())
	}
	for name := range endings {
		expectEvent(1, teamA, name, v1alpha1.ReasonRecordNotTrusted)
		env.EventuallyKV("secret/data/team-a/"+name).Should(BeNil(), "its own secret, proven by Vault's metadata, is cleaned up")
	}
	Eventually(env.Gone(teamA, "forged-delete", &appsv1.Deployment{}), refusalTimeout, 200*time.Millisecond).Should(BeTrue())
	Eventually(func() []string { return e2e.Get(env.Client, teamA, "forged-disable", &appsv1.Deployment{}).Finalizers }, refusalTimeout, 200*time.Millisecond).
		ShouldNot(ContainElement(pushsync.Finalizer))
	Expect(operatorPolicy()).To(Equal(policyBefore))
	expectNoHarm()
}

// TestCopiedPushRecordTakesNothingOver: mallory copies the sealed record of
// her colleague's Deployments onto her own and points it at their paths
// (KV v2, and KV v1, which has no metadata to prove ownership): the copy
// is not trusted, so the colleague's secrets are not "already ours": they
// are neither overwritten (VaultPathConflict, also on retries) nor deleted
// with mallory's Deployment.
func TestCopiedPushRecordTakesNothingOver(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	for _, path := range []string{"secret/data/team-a/colleague-copied", "kv1/team-a/colleague-copied"} {
		target, value := newVictim(teamA, "colleague-"+strings.Split(path, "/")[0], path)
		p := push{teamA, "copy-of-" + target.deployment, "secret/data/team-a/copy-of-" + target.deployment}
		Expect(createPush(context.Background(), mallory, p, "mallory")).To(Succeed())
		env.EventuallyKV(p.path).Should(HaveKeyWithValue("value", "mallory"))
		record := sealedRecord(target)

		Expect(patchAs(mallory, teamA, p.deployment, &appsv1.Deployment{}, func(d *appsv1.Deployment) {
			d.Annotations[pushsync.AnnotationState] = record
			d.Annotations[pushsync.AnnotationPath] = target.path
		})).To(Succeed())
		expectEvent(1, teamA, p.deployment, v1alpha1.ReasonRecordNotTrusted)
		expectConflictKeepsData(p, target.path, value)
	}
	expectNoHarm()
}

// TestKVv1ConflictIsNeverOverwrittenNorDeleted: no forging at all. Mallory
// points a Deployment at team-b's KV v1 secret under the prefix both teams
// may write. It exists and mallory's Deployment did not write it:
// VaultPathConflict, and neither the retries nor the deletion of mallory's
// Deployment may overwrite or delete it. (The same for a KV v2 secret
// there, which Vault's metadata protects.)
func TestKVv1ConflictIsNeverOverwrittenNorDeleted(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	for _, path := range []string{"secret/data/shared/team-b-conflict", "kv1/shared/team-b-conflict"} {
		target, value := newVictim(teamB, "conflict-"+strings.Split(path, "/")[0], path)
		p := push{teamA, "takeover-" + target.deployment, target.path}
		Expect(createPush(context.Background(), mallory, p, "mallory")).To(Succeed())
		expectConflictKeepsData(p, target.path, value)
	}
	expectNoHarm()
}

// expectConflictKeepsData: mallory's Deployment p gets VaultPathConflict at
// path, whose value stays for 4 seconds of retries (backing off from 1s)
// and after her Deployment is deleted.
func expectConflictKeepsData(p push, path, value string) {
	expectEvent(2, teamA, p.deployment, v1alpha1.ReasonVaultPathConflict)
	ConsistentlyWithOffset(1, func() any { return env.ReadKV(path)["value"] }, 4*time.Second, 250*time.Millisecond).
		Should(Equal(value), "retries overwrote %s", path)
	ExpectWithOffset(1, mallory.Delete(context.Background(), e2e.Get(env.Client, teamA, p.deployment, &appsv1.Deployment{}))).To(Succeed())
	EventuallyWithOffset(1, env.Gone(teamA, p.deployment, &appsv1.Deployment{}), refusalTimeout, 200*time.Millisecond).Should(BeTrue())
	ExpectWithOffset(1, env.ReadKV(path)).To(HaveKeyWithValue("value", value), "deleted with mallory's Deployment")
}

// sealedRecord waits until the operator has sealed the record of p's
// Deployment (a hash and a MAC) and returns the annotation.
func sealedRecord(p push) string {
	EventuallyWithOffset(1, func() string { return env.PushRecord(p.ns, p.deployment).MAC }, refusalTimeout, 100*time.Millisecond).ShouldNot(BeEmpty())
	EventuallyWithOffset(1, func() string { return env.PushRecord(p.ns, p.deployment).Hash }, refusalTimeout, 100*time.Millisecond).ShouldNot(BeEmpty())
	return e2e.Get(env.Client, p.ns, p.deployment, &appsv1.Deployment{}).Annotations[pushsync.AnnotationState]
}

// operatorPolicy is the operator's Vault policy as Vault has it.
func operatorPolicy() string {
	p, err := env.Vault.Root.Sys().GetPolicy("vault-sync-operator")
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return p
}
