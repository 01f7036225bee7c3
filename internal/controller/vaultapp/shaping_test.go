package vaultapp

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/time/rate"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault/fake"
)

// kvVault serves KV v2 paths under kv/.
func kvVault(data map[string]map[string]any) *fake.Vault {
	fv := fake.New(vault.Identity{Role: "r"}).Mount("kv", 2)
	for p, d := range data {
		fv.PutKV(p, d, vault.Owner{})
	}
	return fv
}

func shapedApp(mutate func(*appv1alpha1.VaultApp)) *appv1alpha1.VaultApp {
	app := sampleApp()
	app.Spec.Monitoring = nil
	app.Spec.Vault.Secrets = []appv1alpha1.SecretRef{
		{Path: "kv/data/db", Key: "url", TargetKey: "db_url"},
		{Path: "kv/data/api", Include: []string{"^key"}, Prefix: "api_"},
	}
	mutate(app)
	return app
}

func TestTheSecretIsShapedAsTheSpecSays(t *testing.T) {
	fv := kvVault(map[string]map[string]any{"kv/data/db": {"url": "postgres://db"}, "kv/data/api": {"key": "k1", "key2": "k2", "other": "x"}})
	app := shapedApp(func(a *appv1alpha1.VaultApp) {
		a.Spec.Secret = &appv1alpha1.SecretSpec{
			Labels:      map[string]appv1alpha1.LabelValue{"team": "billing"},
			Annotations: map[string]string{"note": "from vault"},
			Templates:   []appv1alpha1.SecretTemplate{{Name: "config.yaml", Template: "db: {{ .Values.db_url }}\napi: {{ .Values.api_key }}\n"}},
		}
	})
	r, _ := newTestReconciler(app, fv)
	got, sec := reconcileOnce(t, r, app)
	want := map[string]string{"db_url": "postgres://db", "api_key": "k1", "api_key2": "k2", "config.yaml": "db: postgres://db\napi: k1\n"}
	if len(sec.Data) != len(want) {
		t.Fatalf("keys = %v", sec.Data)
	}
	for k, v := range want {
		if string(sec.Data[k]) != v {
			t.Fatalf("%s = %q, want %q", k, sec.Data[k], v)
		}
	}
	if sec.Labels["team"] != "billing" || sec.Labels[appv1alpha1.ManagedByLabel] != appv1alpha1.ManagedByValue || sec.Annotations["note"] != "from vault" {
		t.Fatalf("labels %v annotations %v", sec.Labels, sec.Annotations)
	}
	if c := meta.FindStatusCondition(got.Status.Conditions, appv1alpha1.ConditionSecretsSynced); c.Status != "True" {
		t.Fatalf("SecretsSynced = %+v", c)
	}
}

func TestAKeyConflictOrATemplateErrorWritesNothing(t *testing.T) {
	cases := []struct {
		name, reason string
		mutate       func(*appv1alpha1.VaultApp)
	}{
		{"should refuse two sources of one key", appv1alpha1.ReasonKeyConflict, func(a *appv1alpha1.VaultApp) {
			a.Spec.Vault.Secrets[1].Prefix = "db_"
			a.Spec.Vault.Secrets[1].Include = nil
			a.Spec.Vault.Secrets = append(a.Spec.Vault.Secrets, appv1alpha1.SecretRef{Path: "kv/data/api", Key: "key", TargetKey: "db_key"})
		}},
		{"should refuse a failing template", appv1alpha1.ReasonTemplateFailed, func(a *appv1alpha1.VaultApp) {
			a.Spec.Secret = &appv1alpha1.SecretSpec{Templates: []appv1alpha1.SecretTemplate{{Name: "x", Template: "ok\n{{ .Values.nope }}"}}}
		}},
		{"should refuse a TLS Secret without its keys", appv1alpha1.ReasonSecretTypeInvalid, func(a *appv1alpha1.VaultApp) {
			a.Spec.Secret = &appv1alpha1.SecretSpec{Type: corev1.SecretTypeTLS}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fv := kvVault(map[string]map[string]any{"kv/data/db": {"url": "postgres://db"}, "kv/data/api": {"key": "k1"}})
			app := shapedApp(tc.mutate)
			r, c := newTestReconciler(app, fv)
			got, sec := reconcileOnce(t, r, app)
			if sec != nil {
				t.Fatalf("a Secret was written: %v", sec.Data)
			}
			cond := meta.FindStatusCondition(got.Status.Conditions, appv1alpha1.ConditionSecretsSynced)
			if cond == nil || cond.Reason != tc.reason {
				t.Fatalf("SecretsSynced = %+v, want %s", cond, tc.reason)
			}
			if !hasEvent(r, tc.reason) {
				t.Fatalf("no %s event", tc.reason)
			}
			var dep appsv1.Deployment
			if err := c.Get(context.Background(), request(app).NamespacedName, &dep); err == nil {
				t.Fatal("a Deployment runs without its Secret")
			}
		})
	}
}

func TestDriftIsRepairedWithoutARollout(t *testing.T) {
	fv := kvVault(map[string]map[string]any{"kv/data/db": {"url": "postgres://db"}, "kv/data/api": {"key": "k1"}})
	app := shapedApp(func(*appv1alpha1.VaultApp) {})
	r, c := newTestReconciler(app, fv)
	got, sec := reconcileOnce(t, r, app)
	var dep appsv1.Deployment
	_ = c.Get(context.Background(), request(app).NamespacedName, &dep)
	sec.Data["db_url"] = []byte("tampered")
	sec.Data["extra"] = []byte("x")
	if err := c.Update(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	got, sec = reconcileOnce(t, r, got)
	if string(sec.Data["db_url"]) != "postgres://db" || sec.Data["extra"] != nil {
		t.Fatalf("not restored: %v", sec.Data)
	}
	if !hasEvent(r, appv1alpha1.ReasonDriftRepaired) {
		t.Fatal("no DriftRepaired event")
	}
	var after appsv1.Deployment
	_ = c.Get(context.Background(), request(app).NamespacedName, &after)
	if after.ResourceVersion != dep.ResourceVersion {
		t.Fatal("the Deployment was rewritten (it would roll) for a repair that restores the same data")
	}
	if err := c.Delete(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	if _, sec = reconcileOnce(t, r, got); sec == nil || string(sec.Data["db_url"]) != "postgres://db" {
		t.Fatalf("a deleted Secret is not recreated: %v", sec)
	}
}

func TestARefreshRequestIsHandledOnce(t *testing.T) {
	fv := kvVault(map[string]map[string]any{"kv/data/db": {"url": "postgres://db"}, "kv/data/api": {"key": "k1"}})
	app := shapedApp(func(a *appv1alpha1.VaultApp) {
		a.Annotations = map[string]string{appv1alpha1.RefreshRequestedAnnotation: "1700000000"}
	})
	r, _ := newTestReconciler(app, fv)
	got, _ := reconcileOnce(t, r, app)
	if got.Status.LastHandledRefreshRequest != "1700000000" {
		t.Fatalf("lastHandledRefreshRequest = %q", got.Status.LastHandledRefreshRequest)
	}
	if _, pending := got.PendingRefreshRequest(); pending {
		t.Fatal("the request is still pending after Vault was read")
	}
	if !(refreshRequested{}).Update(eventUpdate(app, "1700000001")) || (refreshRequested{}).Update(eventUpdate(app, "1700000000")) {
		t.Fatal("the predicate does not pass exactly a new request")
	}
}

func TestRolloutsAreCountedByReason(t *testing.T) {
	fv := kvVault(map[string]map[string]any{"kv/data/db": {"url": "postgres://db"}, "kv/data/api": {"key": "k1"}})
	app := shapedApp(func(*appv1alpha1.VaultApp) {})
	r, c := newTestReconciler(app, fv)
	got, _ := reconcileOnce(t, r, app)
	hasEvent(r, "") // drain
	fv.PutKV("kv/data/db", map[string]any{"url": "postgres://db2"}, vault.Owner{})
	got, _ = reconcileOnce(t, r, got)
	if !hasEvent(r, "RolloutStarted") {
		t.Fatal("no RolloutStarted event for changed data")
	}
	got.Spec.Secret = &appv1alpha1.SecretSpec{Templates: []appv1alpha1.SecretTemplate{{Name: "t", Template: "{{ .Values.db_url }}"}}}
	got.Generation++
	if err := c.Update(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	_ = r.Client.Get(context.Background(), client.ObjectKeyFromObject(got), got)
	reconcileOnce(t, r, got)
	rec := drainAll(r)
	if !containsAll(rec, "RolloutStarted", "template_changed") {
		t.Fatalf("events = %v", rec)
	}
	_ = time.Second
}

// A rollout that waited its turn (--max-rollouts-per-second) is counted
// with the reason of the change that caused it, though the reconcile that
// starts it did not write the Secret.
func TestAQueuedRolloutKeepsItsReason(t *testing.T) {
	fv := kvVault(map[string]map[string]any{"kv/data/db": {"url": "postgres://db"}, "kv/data/api": {"key": "k1"}})
	app := shapedApp(func(*appv1alpha1.VaultApp) {})
	r, c := newTestReconciler(app, fv)
	got, _ := reconcileOnce(t, r, app)
	r.Rollouts = rate.NewLimiter(rate.Every(time.Hour), 1)
	r.Rollouts.Allow() // the burst is spent: the next rotation rollout waits
	got.Spec.Secret = &appv1alpha1.SecretSpec{Templates: []appv1alpha1.SecretTemplate{{Name: "t", Template: "{{ .Values.db_url }}"}}}
	got.Generation++
	if err := c.Update(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	_ = r.Client.Get(context.Background(), client.ObjectKeyFromObject(got), got)
	if res, err := r.Reconcile(context.Background(), request(got)); err != nil || res.RequeueAfter == 0 {
		t.Fatalf("Reconcile = %+v, %v; want the rollout queued", res, err)
	}
	drainAll(r)
	r.Rollouts = nil // its turn
	reconcileOnce(t, r, got)
	if rec := drainAll(r); !containsAll(rec, "RolloutStarted", "template_changed") {
		t.Fatalf("events = %v, want the queued rollout counted as template_changed", rec)
	}
}

// excludeRaw with a secret that turns out dynamic (a read that came with a
// lease) is InvalidSpec and not retried until the spec changes: each retry
// would issue, and revoke, another credential.
func TestExcludeRawWithADynamicReadIsNotRetried(t *testing.T) {
	r, _, fv, app := dynamicSetup(time.Hour, func(a *appv1alpha1.VaultApp) {
		a.Spec.Secret = &appv1alpha1.SecretSpec{ExcludeRaw: true,
			Templates: []appv1alpha1.SecretTemplate{{Name: "dsn", Template: "{{ .Values.user }}"}}}
	})
	res, err := r.Reconcile(context.Background(), request(app))
	if !errors.Is(err, reconcile.TerminalError(nil)) || res.RequeueAfter != 0 {
		t.Fatalf("Reconcile = %+v, %v; want a terminal error, no requeue", res, err)
	}
	got := &appv1alpha1.VaultApp{}
	_ = r.Client.Get(context.Background(), request(app).NamespacedName, got)
	if c := meta.FindStatusCondition(got.Status.Conditions, appv1alpha1.ConditionSecretsSynced); c == nil || c.Reason != appv1alpha1.ReasonInvalidSpec {
		t.Fatalf("SecretsSynced = %+v, want InvalidSpec", c)
	}
	if fv.Reads(dbPath) != 1 || len(fv.Revoked()) != 1 {
		t.Fatalf("reads %d, revoked %v: want the one credential issued and revoked", fv.Reads(dbPath), fv.Revoked())
	}
}
