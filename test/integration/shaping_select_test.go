package integration

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestShapeWholePathsWithIncludeExcludeAndPrefix applies
// examples/vaultapp/whole-path.yaml: the Secret holds exactly the keys its
// comment and README promise, and keys added in Vault later follow the
// same include/exclude/prefix rules.
func TestShapeWholePathsWithIncludeExcludeAndPrefix(t *testing.T) {
	RegisterTestingT(t)
	app := applyExample("whole-path.yaml")
	eventuallySynced(app.Name)
	Expect(appSecret(app.Name).Data).To(Equal(map[string][]byte{
		"db_host": []byte("db.shape.svc"), "db_port": []byte("5432"), "db_username": []byte("orders"),
		"db_password": []byte("orders-db-password"), "new_checkout": []byte("true"), "api_token": []byte("orders-api-token"),
	}), "admin_password is not included, token_old is excluded")

	env.PutKV("kv/data/shape/orders/database", map[string]any{"host": "db.shape.svc", "port": "5432", "username": "orders",
		"password": "orders-db-password", "admin_password": "orders-admin-password", "replica_host": "replica.shape.svc"})
	env.PutKV("kv/data/shape/orders/api", map[string]any{"token": "orders-api-token", "token_old": "orders-api-token-old",
		"token_new": "orders-api-token-new"})
	requestRefresh(app.Name, "whole-path-1")
	Eventually(func() []string { return slices.Sorted(maps.Keys(appSecret(app.Name).Data)) }, 5*time.Second, 100*time.Millisecond).
		Should(Equal([]string{"api_token", "api_token_new", "db_host", "db_password", "db_port", "db_username", "new_checkout"}),
			"token_new is kept (exclude drops only _old$), replica_host is not included")
	Expect(string(appSecret(app.Name).Data["api_token_new"])).To(Equal("orders-api-token-new"))
	expectNoValueLeaked(app.Name)
}

// TestShapeKeyConflictWritesNothing: two sources of one Secret key set
// SecretsSynced=False/KeyConflict naming both, and nothing is written: an
// existing Secret and Deployment stay exactly as they were, a new app gets
// neither. A whole path that keeps no key is KeyNotFound, listing the keys
// there.
func TestShapeKeyConflictWritesNothing(t *testing.T) {
	RegisterTestingT(t)
	app := createExampleAs("whole-path.yaml", "orders-conflict", nil)
	dep := eventuallySynced(app.Name)
	sec := appSecret(app.Name)

	patchApp(app.Name, func(a *appv1alpha1.VaultApp) {
		a.Spec.Vault.Secrets = append(a.Spec.Vault.Secrets,
			appv1alpha1.SecretRef{Path: "kv/data/shape/orders/feature-flags", Key: "new_checkout", TargetKey: "db_host"})
	})
	Eventually(env.ConditionWithMessage(shapeNS, app.Name, appv1alpha1.ConditionSecretsSynced), 10*time.Second, 100*time.Millisecond).
		Should(HavePrefix(`False/KeyConflict: secret key "db_host" comes from both spec.vault.secrets[0] (key "host" of kv/data/shape/orders/database)` +
			` and spec.vault.secrets[3] (key "new_checkout" of kv/data/shape/orders/feature-flags)`))
	env.EventuallyEvent(shapeNS, app.Name, `KeyConflict: secret key "db_host" comes from both`)
	Consistently(func() []string {
		return []string{appSecret(app.Name).ResourceVersion, e2e.Get(env.Client, shapeNS, app.Name, &appsv1.Deployment{}).ResourceVersion}
	}, 2*time.Second, 200*time.Millisecond).Should(Equal([]string{sec.ResourceVersion, dep.ResourceVersion}), "nothing written")

	// A template named like a key of a whole path: a new app gets nothing.
	tmpl := createExampleAs("whole-path.yaml", "orders-template-conflict", func(a *appv1alpha1.VaultApp) {
		a.Spec.Secret = &appv1alpha1.SecretSpec{Templates: []appv1alpha1.SecretTemplate{{Name: "new_checkout", Template: "{{ .Values.db_host }}"}}}
	})
	Eventually(env.ConditionWithMessage(shapeNS, tmpl.Name, appv1alpha1.ConditionSecretsSynced), 10*time.Second, 100*time.Millisecond).
		Should(HavePrefix(`False/KeyConflict: secret key "new_checkout" comes from both spec.vault.secrets[1] (key "new_checkout" of kv/data/shape/orders/feature-flags)` +
			` and spec.secret.templates[0] (template "new_checkout")`))
	expectNothingWritten(tmpl.Name)

	empty := createExampleAs("whole-path.yaml", "orders-keeps-nothing", func(a *appv1alpha1.VaultApp) {
		a.Spec.Vault.Secrets[0].Include = []string{"^no_such_key$"}
	})
	Eventually(env.ConditionWithMessage(shapeNS, empty.Name, appv1alpha1.ConditionSecretsSynced), 10*time.Second, 100*time.Millisecond).
		Should(HavePrefix("False/KeyNotFound: spec.vault.secrets[0]: no key of vault path kv/data/shape/orders/database matches include and exclude" +
			" (keys there: admin_password, host, password, port, "))
	expectNothingWritten(empty.Name)
	expectNoValueLeaked(app.Name, tmpl.Name, empty.Name)
}

// expectNothingWritten: VaultApp name has neither a Secret nor a Deployment, for 2s.
func expectNothingWritten(name string) {
	ConsistentlyWithOffset(1, func() []bool {
		return []bool{appSecret(name) == nil, e2e.Get(env.Client, shapeNS, name, &appsv1.Deployment{}) == nil}
	}, 2*time.Second, 200*time.Millisecond).Should(Equal([]bool{true, true}))
}

// TestShapeLabelsAndAnnotationsExample applies
// examples/vaultapp/labels-annotations.yaml: the Secret carries the spec's
// labels and annotations beside the operator's own; a spec label removed
// from the Secret by hand comes back, one removed from the spec goes, one
// someone else put on the Secret stays; the operator's own keys cannot be
// set through the spec.
func TestShapeLabelsAndAnnotationsExample(t *testing.T) {
	RegisterTestingT(t)
	app := applyExample("labels-annotations.yaml")
	eventuallySynced(app.Name)
	sec := appSecret(app.Name)
	Expect(sec.Data).To(Equal(map[string][]byte{"smtp_password": []byte("smtp-password")}))
	Expect(sec.Labels).To(And(HaveKeyWithValue("team", "reporting"), HaveKeyWithValue("backup.example.com/include", "true"),
		HaveKeyWithValue(appv1alpha1.ManagedByLabel, appv1alpha1.ManagedByValue), HaveKeyWithValue(appv1alpha1.VaultAppNameLabel, app.Name)))
	Expect(sec.Annotations).To(HaveKeyWithValue("owner.example.com/contact", "reporting@example.com"))

	patch := client.MergeFrom(sec.DeepCopy())
	sec.Labels["other.example.com/reloader"] = "on"
	delete(sec.Labels, "backup.example.com/include")
	start := time.Now()
	Expect(env.Client.Patch(context.Background(), sec, patch)).To(Succeed())
	Eventually(func() map[string]string { return appSecret(app.Name).Labels }, 10*time.Second, 50*time.Millisecond).
		Should(HaveKeyWithValue("backup.example.com/include", "true"), "the spec's label is restored")
	t.Logf("label restored in %s", time.Since(start))
	start = time.Now()
	patchApp(app.Name, func(a *appv1alpha1.VaultApp) { delete(a.Spec.Secret.Labels, "team") })
	Eventually(func() map[string]string { return appSecret(app.Name).Labels }, 10*time.Second, 50*time.Millisecond).ShouldNot(HaveKey("team"))
	t.Logf("label removed from the spec gone in %s", time.Since(start))
	Expect(appSecret(app.Name).Labels).To(And(HaveKeyWithValue("other.example.com/reloader", "on"),
		HaveKeyWithValue("backup.example.com/include", "true"), HaveKeyWithValue(appv1alpha1.ManagedByLabel, appv1alpha1.ManagedByValue)))

	a := e2e.Get(env.Client, shapeNS, app.Name, &appv1alpha1.VaultApp{})
	orig := a.DeepCopy()
	a.Spec.Secret.Labels[appv1alpha1.ManagedByLabel] = "someone-else"
	Expect(env.Client.Patch(context.Background(), a, client.MergeFrom(orig))).To(MatchError(ContainSubstring("the operator's own")))
	a = orig.DeepCopy()
	a.Spec.Secret.Annotations = map[string]string{appv1alpha1.SecretVersionAnnotation: "x"}
	Expect(env.Client.Patch(context.Background(), a, client.MergeFrom(orig))).To(MatchError(ContainSubstring("the operator's own")))
	Expect(appSecret(app.Name).Type).To(Equal(corev1.SecretTypeOpaque))
	expectNoValueLeaked(app.Name)
}
