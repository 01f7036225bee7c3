package vaultapp

import (
	"context"
	"testing"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// The reconcile after a write is woken by the Secret's update and can read
// the VaultApp from a cache that has not yet seen the status of the write:
// the Secret holding the new data is then no drift, and no second rotation.
func TestAStatusLaggingTheOperatorsOwnWriteIsNoDriftAndNoSecondRotation(t *testing.T) {
	fv := kvVault(map[string]map[string]any{"kv/data/db": {"url": "postgres://db"}, "kv/data/api": {"key": "k1"}})
	app := shapedApp(func(*appv1alpha1.VaultApp) {})
	r, c := newTestReconciler(app, fv)
	first, _ := reconcileOnce(t, r, app)
	fv.PutKV("kv/data/db", map[string]any{"url": "postgres://db2"}, vault.Owner{})
	got, _ := reconcileOnce(t, r, first)
	drainAll(r)

	stale := got.DeepCopy()
	stale.Status.SecretVersion, stale.Status.SourceVersion = first.Status.SecretVersion, first.Status.SourceVersion
	if err := c.Status().Update(context.Background(), stale); err != nil {
		t.Fatal(err)
	}
	reconcileOnce(t, r, stale)
	events := drainAll(r)
	if containsAll(events, appv1alpha1.ReasonDriftRepaired) {
		t.Errorf("the operator's own write reported as drift: %v", events)
	}
	if containsAll(events, appv1alpha1.ReasonSecretRotated) {
		t.Errorf("the operator's own write announced again: %v", events)
	}
}
