package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

func TestPushAutoDiscoveryWritesEachSecretToItsOwnPath(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "auto")
	create(newSecret(ns, "db", "user", "alice", "pass", "s3cret"), newSecret(ns, "api", "token", "t0k"))
	dep := newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/app"}, "db")
	// a second reference through a volume: auto-discovery reads every kind of reference
	dep.Spec.Template.Spec.Volumes = append(dep.Spec.Template.Spec.Volumes, volumeFromSecret("api"))
	create(dep)

	eventuallyVault("secret/data/" + ns + "/app/db").Should(Equal(map[string]any{"user": "alice", "pass": "s3cret"}))
	eventuallyVault("secret/data/" + ns + "/app/api").Should(Equal(map[string]any{"token": "t0k"}))
	Eventually(func() bool {
		d := getDeployment(ns, "app")
		return d != nil && controllerutil.ContainsFinalizer(d, pushsync.Finalizer) && len(recordedState(ns, "app").Locations) == 2
	}, 10*time.Second).Should(BeTrue())
	eventuallyEvent(ns, "app", "Synced: synced 2 secret(s) to vault")
	Expect(gatheredValue("vault_sync_operator_secrets_discovered", "namespace", ns)).To(Equal(2.0))
}

func TestPushExplicitModeMergesChosenKeysWithPrefixes(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "explicit")
	create(newSecret(ns, "my-app-secrets", "username", "bob", "password", "pw", "unused", "x"),
		newSecret(ns, "other", "token", "tk"))
	create(newDeployment(ns, "app", map[string]string{
		pushsync.AnnotationPath:    "secret/data/" + ns + "/my-app",
		pushsync.AnnotationSecrets: `[{"name":"my-app-secrets","keys":["username","password"],"prefix":"app_"},{"name":"other"}]`,
	}, "my-app-secrets"))
	eventuallyVault("secret/data/" + ns + "/my-app").Should(Equal(map[string]any{"app_username": "bob", "app_password": "pw", "token": "tk"}))
}

func TestPushToKVv1(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "kvone")
	create(newSecret(ns, "creds", "k", "v1value"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "kv1/" + ns}, "creds"))
	eventuallyVault("kv1/" + ns + "/creds").Should(Equal(map[string]any{"k": "v1value"}))
	Expect(recordedState(ns, "app").Locations[0].Version).To(Equal(1))
}

func TestPushSecretChangeReachesVaultWithoutPeriodicReconcile(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "change")
	s := newSecret(ns, "creds", "password", "v1")
	create(s)
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	eventuallyVault("secret/data/" + ns + "/creds").Should(HaveKeyWithValue("password", "v1"))

	s.Data["password"] = []byte("v2")
	Expect(testRig.Client.Update(context.Background(), s)).To(Succeed())
	Eventually(func() map[string]any { return vaultKV("secret/data/" + ns + "/creds") }, 5*time.Second, 50*time.Millisecond).
		Should(HaveKeyWithValue("password", "v2"))
}

func TestPushDeletionRemovesWhatWasWritten(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "delete")
	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	eventuallyVault("secret/data/" + ns + "/creds").ShouldNot(BeNil())
	// A secret the operator did not write, next to the one it did.
	_, err := testRig.Vault.Root.Logical().Write("secret/data/"+ns+"/manual", map[string]any{"data": map[string]any{"x": "y"}})
	Expect(err).NotTo(HaveOccurred())

	Expect(testRig.Client.Delete(context.Background(), getDeployment(ns, "app"))).To(Succeed())
	Eventually(deploymentGone(ns, "app"), 20*time.Second).Should(BeTrue())
	Expect(vaultKV("secret/metadata/"+ns+"/creds")).To(BeNil(), "metadata and all versions are removed")
	Expect(vaultKV("secret/data/"+ns+"/manual")).NotTo(BeNil(), "never delete what the operator did not write")
	eventuallyEvent(ns, "app", "CleanedUp: removed from vault: secret/data/"+ns+"/creds")
}

func TestPushPreserveOnDeleteKeepsVaultData(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "preserve")
	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns,
		pushsync.AnnotationPreserveOnDelete: "true"}, "creds"))
	eventuallyVault("secret/data/" + ns + "/creds").ShouldNot(BeNil())
	Eventually(func() int { return len(recordedState(ns, "app").Locations) }, 10*time.Second).Should(Equal(1))
	Expect(testRig.Client.Delete(context.Background(), getDeployment(ns, "app"))).To(Succeed())
	Eventually(deploymentGone(ns, "app"), 20*time.Second).Should(BeTrue())
	Expect(vaultKV("secret/data/" + ns + "/creds")).To(Equal(map[string]any{"k": "v"}))
}

func TestPushPathChangeAndRemovalCleanOldLocations(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "move")
	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/old"}, "creds"))
	eventuallyVault("secret/data/" + ns + "/old/creds").ShouldNot(BeNil())

	patchAnnotations(ns, "app", map[string]*string{pushsync.AnnotationPath: ptr("secret/data/" + ns + "/new")})
	eventuallyVault("secret/data/" + ns + "/new/creds").ShouldNot(BeNil())
	eventuallyVault("secret/metadata/" + ns + "/old/creds").Should(BeNil())

	patchAnnotations(ns, "app", map[string]*string{pushsync.AnnotationPath: nil})
	eventuallyVault("secret/metadata/" + ns + "/new/creds").Should(BeNil())
	Eventually(func() bool {
		d := getDeployment(ns, "app")
		_, has := d.Annotations[pushsync.AnnotationState]
		return controllerutil.ContainsFinalizer(d, pushsync.Finalizer) || has
	}, 10*time.Second).Should(BeFalse(), "finalizer and record are removed with the annotation")
}

func TestPushPeriodicReconcileRestoresDeletedVaultData(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 30s minimum interval")
	}
	RegisterTestingT(t)
	ns := newNamespace(t, "periodic")
	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns,
		pushsync.AnnotationReconcile: "30s"}, "creds"))
	eventuallyVault("secret/data/" + ns + "/creds").ShouldNot(BeNil())
	_, err := testRig.Vault.Root.Logical().Delete("secret/metadata/" + ns + "/creds")
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() map[string]any { return vaultKV("secret/data/" + ns + "/creds") }, 50*time.Second, time.Second).
		Should(Equal(map[string]any{"k": "v"}))
	eventuallyEvent(ns, "app", "Restored: restored data missing or changed in vault")
}

func TestPushErrorsAreReportedAsEventsAndMetrics(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "errors")
	create(newSecret(ns, "mysecret", "a", "1", "b", "2"))

	notFound := testutil.ToFloat64(metrics.SecretNotFound.WithLabelValues(ns))
	create(newDeployment(ns, "missing", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/m"}, "nope"))
	eventuallyEvent(ns, "missing", `SecretNotFound: failed to get secret nope: secrets "nope" not found`)
	Expect(testutil.ToFloat64(metrics.SecretNotFound.WithLabelValues(ns))).To(BeNumerically(">", notFound))
	// Creating the Secret later is enough: the watch triggers the sync.
	create(newSecret(ns, "nope", "late", "arrival"))
	eventuallyVault("secret/data/" + ns + "/m/nope").Should(Equal(map[string]any{"late": "arrival"}))

	create(newDeployment(ns, "keymissing", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/k",
		pushsync.AnnotationSecrets: `[{"name":"mysecret","keys":["mykey"]}]`}))
	eventuallyEvent(ns, "keymissing", "SecretKeyMissing: key mykey not found in secret mysecret (available keys: a, b)")
	Expect(testutil.ToFloat64(metrics.SecretKeyMissing.WithLabelValues(ns))).To(BeNumerically(">=", 1))

	parse := testutil.ToFloat64(metrics.ConfigParseErrors.WithLabelValues(pushsync.ErrTypeInvalidJSON))
	create(newDeployment(ns, "badjson", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/j",
		pushsync.AnnotationSecrets: `[{"name":`}))
	eventuallyEvent(ns, "badjson", "InvalidConfig: failed to parse secrets annotation: unexpected EOF")
	Expect(testutil.ToFloat64(metrics.ConfigParseErrors.WithLabelValues(pushsync.ErrTypeInvalidJSON))).To(BeNumerically(">", parse))

	create(newDeployment(ns, "badinterval", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/i",
		pushsync.AnnotationReconcile: "5s"}, "mysecret"))
	eventuallyEvent(ns, "badinterval", `InvalidConfig: invalid reconcile interval "5s"`)

	create(newDeployment(ns, "badpath", map[string]string{pushsync.AnnotationPath: "/secret/data/../x"}, "mysecret"))
	eventuallyEvent(ns, "badpath", "InvalidConfig: invalid vault-sync.io/path annotation")

	create(newDeployment(ns, "nomount", map[string]string{pushsync.AnnotationPath: "nosuchmount/app"}, "mysecret"))
	eventuallyEvent(ns, "nomount", "VaultWriteFailed: failed to write secret to vault: permission denied (path \"nosuchmount/app\"): the token has no capability on this path: either no secrets engine is mounted there")

	create(newDeployment(ns, "denied", map[string]string{pushsync.AnnotationPath: "restricted/data/" + ns}, "mysecret"))
	eventuallyEvent(ns, "denied", "VaultWriteFailed: failed to write secret to vault: permission denied")
	Expect(testutil.ToFloat64(metrics.VaultWriteErrors.WithLabelValues("permission_denied"))).To(BeNumerically(">=", 1))

	// A bad Deployment never blocks others, and nothing it did wrote to Vault.
	Expect(vaultKV("secret/data/" + ns + "/j")).To(BeNil())
	// Secret values never reach logs or events.
	for _, e := range events(ns, "keymissing") {
		Expect(e).NotTo(ContainSubstring("arrival"))
	}
	Expect(logs.String()).NotTo(ContainSubstring("arrival"))
}

func TestPushIdleSendsNothing(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "idle")
	create(newSecret(ns, "creds", "k", "v"))
	create(newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	eventuallyVault("secret/data/" + ns + "/creds").ShouldNot(BeNil())
	Eventually(func() int { return len(recordedState(ns, "app").Locations) }, 10*time.Second).Should(Equal(1))

	writes := func() float64 {
		return testutil.ToFloat64(metrics.VaultRequests.WithLabelValues("write", "204")) + testutil.ToFloat64(metrics.VaultRequests.WithLabelValues("write", "200"))
	}
	before := writes()
	// Touching the Deployment (an unrelated annotation) re-runs the reconcile: nothing changed, so nothing is written.
	d := getDeployment(ns, "app")
	patch := client.MergeFrom(d.DeepCopy())
	d.Annotations["touched"] = "yes"
	Expect(testRig.Client.Patch(context.Background(), d, patch)).To(Succeed())
	Consistently(writes, 3*time.Second, 200*time.Millisecond).Should(Equal(before))
}

func ptr(s string) *string { return &s }

// patchAnnotations sets (or, with nil, removes) annotations.
func patchAnnotations(ns, name string, ann map[string]*string) {
	d := getDeployment(ns, name)
	patch := client.MergeFrom(d.DeepCopy())
	for k, v := range ann {
		if v == nil {
			delete(d.Annotations, k)
		} else {
			d.Annotations[k] = *v
		}
	}
	ExpectWithOffset(1, testRig.Client.Patch(context.Background(), d, patch)).To(Succeed())
}
