package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

func TestPushAutoDiscoveryWritesEachSecretToItsOwnPath(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("auto")
	env.Create(e2e.NewSecret(ns, "db", "user", "alice", "pass", "s3cret"), e2e.NewSecret(ns, "api", "token", "t0k"))
	dep := e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/app"}, "db")
	// a second reference through a volume: auto-discovery reads every kind of reference
	dep.Spec.Template.Spec.Volumes = append(dep.Spec.Template.Spec.Volumes, e2e.SecretVolume("api"))
	env.Create(dep)

	env.EventuallyKV("secret/data/" + ns + "/app/db").Should(Equal(map[string]any{"user": "alice", "pass": "s3cret"}))
	env.EventuallyKV("secret/data/" + ns + "/app/api").Should(Equal(map[string]any{"token": "t0k"}))
	Eventually(func() bool {
		d := e2e.Get(env.Client, ns, "app", &appsv1.Deployment{})
		return d != nil && controllerutil.ContainsFinalizer(d, pushsync.Finalizer) && len(env.PushRecord(ns, "app").Locations) == 2
	}, 10*time.Second).Should(BeTrue())
	env.EventuallyEvent(ns, "app", "Synced: synced 2 secret(s) to vault")
	Expect(op.Metric("vault_sync_operator_secrets_discovered", "namespace", ns)()).To(Equal(2.0))
}

func TestPushExplicitModeMergesChosenKeysWithPrefixes(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("explicit")
	env.Create(e2e.NewSecret(ns, "my-app-secrets", "username", "bob", "password", "pw", "unused", "x"),
		e2e.NewSecret(ns, "other", "token", "tk"))
	env.Create(e2e.NewDeployment(ns, "app", map[string]string{
		pushsync.AnnotationPath:    "secret/data/" + ns + "/my-app",
		pushsync.AnnotationSecrets: `[{"name":"my-app-secrets","keys":["username","password"],"prefix":"app_"},{"name":"other"}]`,
	}, "my-app-secrets"))
	env.EventuallyKV("secret/data/" + ns + "/my-app").Should(Equal(map[string]any{"app_username": "bob", "app_password": "pw", "token": "tk"}))
}

func TestPushToKVv1(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("kvone")
	env.Create(e2e.NewSecret(ns, "creds", "k", "v1value"))
	env.Create(e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "kv1/" + ns}, "creds"))
	env.EventuallyKV("kv1/" + ns + "/creds").Should(Equal(map[string]any{"k": "v1value"}))
	Expect(env.PushRecord(ns, "app").Locations[0].Version).To(Equal(1))
}

func TestPushSecretChangeReachesVaultWithoutPeriodicReconcile(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("change")
	s := e2e.NewSecret(ns, "creds", "password", "v1")
	env.Create(s)
	env.Create(e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds"))
	env.EventuallyKV("secret/data/" + ns + "/creds").Should(HaveKeyWithValue("password", "v1"))

	s.Data["password"] = []byte("v2")
	Expect(env.Client.Update(context.Background(), s)).To(Succeed())
	Eventually(func() map[string]any { return env.ReadKV("secret/data/" + ns + "/creds") }, 5*time.Second, 50*time.Millisecond).
		Should(HaveKeyWithValue("password", "v2"))
}

func TestPushDeletionRemovesWhatWasWritten(t *testing.T) {
	RegisterTestingT(t)
	ns := pushedCreds("delete", nil)
	// A secret the operator did not write, next to the one it did.
	_, err := env.Vault.Root.Logical().Write("secret/data/"+ns+"/manual", map[string]any{"data": map[string]any{"x": "y"}})
	Expect(err).NotTo(HaveOccurred())

	Expect(env.Client.Delete(context.Background(), e2e.Get(env.Client, ns, "app", &appsv1.Deployment{}))).To(Succeed())
	Eventually(env.Gone(ns, "app", &appsv1.Deployment{}), 20*time.Second).Should(BeTrue())
	Expect(env.ReadKV("secret/metadata/"+ns+"/creds")).To(BeNil(), "metadata and all versions are removed")
	Expect(env.ReadKV("secret/data/"+ns+"/manual")).NotTo(BeNil(), "never delete what the operator did not write")
	env.EventuallyEvent(ns, "app", "CleanedUp: removed from vault: secret/data/"+ns+"/creds")
}

func TestPushPreserveOnDeleteKeepsVaultData(t *testing.T) {
	RegisterTestingT(t)
	ns := pushedCreds("preserve", map[string]string{pushsync.AnnotationPreserveOnDelete: "true"})
	Eventually(func() int { return len(env.PushRecord(ns, "app").Locations) }, 10*time.Second).Should(Equal(1))
	Expect(env.Client.Delete(context.Background(), e2e.Get(env.Client, ns, "app", &appsv1.Deployment{}))).To(Succeed())
	Eventually(env.Gone(ns, "app", &appsv1.Deployment{}), 20*time.Second).Should(BeTrue())
	Expect(env.ReadKV("secret/data/" + ns + "/creds")).To(Equal(map[string]any{"k": "v"}))
}

func TestPushPathChangeAndRemovalCleanOldLocations(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("move")
	env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
	env.Create(e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/old"}, "creds"))
	env.EventuallyKV("secret/data/" + ns + "/old/creds").ShouldNot(BeNil())

	patchAnnotations(ns, "app", map[string]*string{pushsync.AnnotationPath: ptr("secret/data/" + ns + "/new")})
	env.EventuallyKV("secret/data/" + ns + "/new/creds").ShouldNot(BeNil())
	env.EventuallyKV("secret/metadata/" + ns + "/old/creds").Should(BeNil())

	patchAnnotations(ns, "app", map[string]*string{pushsync.AnnotationPath: nil})
	env.EventuallyKV("secret/metadata/" + ns + "/new/creds").Should(BeNil())
	Eventually(func() bool {
		d := e2e.Get(env.Client, ns, "app", &appsv1.Deployment{})
		_, has := d.Annotations[pushsync.AnnotationState]
		return controllerutil.ContainsFinalizer(d, pushsync.Finalizer) || has
	}, 10*time.Second).Should(BeFalse(), "finalizer and record are removed with the annotation")
}

func TestPushPeriodicReconcileRestoresDeletedVaultData(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 30s minimum interval")
	}
	RegisterTestingT(t)
	ns := pushedCreds("periodic", map[string]string{pushsync.AnnotationReconcile: "30s"})
	_, err := env.Vault.Root.Logical().Delete("secret/metadata/" + ns + "/creds")
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() map[string]any { return env.ReadKV("secret/data/" + ns + "/creds") }, 50*time.Second, time.Second).
		Should(Equal(map[string]any{"k": "v"}))
	env.EventuallyEvent(ns, "app", "Restored: restored data missing or changed in vault")
}

func TestPushErrorsAreReportedAsEventsAndMetrics(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("errors")
	env.Create(e2e.NewSecret(ns, "mysecret", "a", "1", "b", "2"))

	secretNotFound := op.Metric("vault_sync_operator_secret_not_found_errors_total", "namespace", ns)
	notFound := secretNotFound()
	env.Create(e2e.NewDeployment(ns, "missing", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/m"}, "nope"))
	env.EventuallyEvent(ns, "missing", `SecretNotFound: failed to get secret nope: secrets "nope" not found`)
	Expect(secretNotFound()).To(BeNumerically(">", notFound))
	// Creating the Secret later is enough: the watch triggers the sync.
	env.Create(e2e.NewSecret(ns, "nope", "late", "arrival"))
	env.EventuallyKV("secret/data/" + ns + "/m/nope").Should(Equal(map[string]any{"late": "arrival"}))

	env.Create(e2e.NewDeployment(ns, "keymissing", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/k",
		pushsync.AnnotationSecrets: `[{"name":"mysecret","keys":["mykey"]}]`}))
	env.EventuallyEvent(ns, "keymissing", "SecretKeyMissing: key mykey not found in secret mysecret (available keys: a, b)")
	Expect(op.Metric("vault_sync_operator_secret_key_missing_errors_total", "namespace", ns)()).To(BeNumerically(">=", 1))

	parseErrors := op.Metric("vault_sync_operator_config_parse_errors_total", "error_type", pushsync.ErrTypeInvalidJSON)
	parse := parseErrors()
	env.Create(e2e.NewDeployment(ns, "badjson", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/j",
		pushsync.AnnotationSecrets: `[{"name":`}))
	env.EventuallyEvent(ns, "badjson", "InvalidConfig: failed to parse secrets annotation: unexpected EOF")
	Expect(parseErrors()).To(BeNumerically(">", parse))

	env.Create(e2e.NewDeployment(ns, "badinterval", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/i",
		pushsync.AnnotationReconcile: "5s"}, "mysecret"))
	env.EventuallyEvent(ns, "badinterval", `InvalidConfig: invalid reconcile interval "5s"`)

	env.Create(e2e.NewDeployment(ns, "badpath", map[string]string{pushsync.AnnotationPath: "/secret/data/../x"}, "mysecret"))
	env.EventuallyEvent(ns, "badpath", "InvalidConfig: invalid vault-sync.io/path annotation")

	env.Create(e2e.NewDeployment(ns, "nomount", map[string]string{pushsync.AnnotationPath: "nosuchmount/app"}, "mysecret"))
	env.EventuallyEvent(ns, "nomount", "VaultWriteFailed: failed to write secret to vault: permission denied (path \"nosuchmount/app\"): the token has no capability on this path: either no secrets engine is mounted there")

	env.Create(e2e.NewDeployment(ns, "denied", map[string]string{pushsync.AnnotationPath: "restricted/data/" + ns}, "mysecret"))
	env.EventuallyEvent(ns, "denied", "VaultWriteFailed: failed to write secret to vault: permission denied")
	Expect(op.Metric("vault_sync_operator_vault_write_errors_total", "error_type", "permission_denied")()).To(BeNumerically(">=", 1))

	// A bad Deployment never blocks others, and nothing it did wrote to Vault.
	Expect(env.ReadKV("secret/data/" + ns + "/j")).To(BeNil())
	// Secret values never reach logs or events.
	for _, e := range env.EventTexts(ns, "keymissing") {
		Expect(e).NotTo(ContainSubstring("arrival"))
	}
	Expect(env.Logs.String()).NotTo(ContainSubstring("arrival"))
}

func TestPushIdleSendsNothing(t *testing.T) {
	RegisterTestingT(t)
	ns := pushedCreds("idle", nil)
	Eventually(func() int { return len(env.PushRecord(ns, "app").Locations) }, 10*time.Second).Should(Equal(1))

	writes := op.Metric("vault_sync_operator_vault_requests_total", "kind", "write", "code", "204|200")
	before := writes()
	// Touching the Deployment (an unrelated annotation) re-runs the reconcile: nothing changed, so nothing is written.
	d := e2e.Get(env.Client, ns, "app", &appsv1.Deployment{})
	patch := client.MergeFrom(d.DeepCopy())
	d.Annotations["touched"] = "yes"
	Expect(env.Client.Patch(context.Background(), d, patch)).To(Succeed())
	Consistently(writes, 3*time.Second, 200*time.Millisecond).Should(Equal(before))
}
