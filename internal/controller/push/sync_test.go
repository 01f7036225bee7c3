package push

import (
	"context"
	"errors"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func TestAutoDiscoveryWritesEachSecretAndRecordsIt(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), secret("api", "token", "t"), deployment("web", pathAnn("secret/data/web"), "db", "api"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if got := w.kv("secret/data/web/db"); got["user"] != "u" {
		t.Fatalf("web/db = %v", got)
	}
	if got := w.kv("secret/data/web/api"); got["token"] != "t" {
		t.Fatalf("web/api = %v", got)
	}
	dep := w.deployment("web")
	st, _ := pushsync.ReadState(dep.Annotations)
	if len(st.Locations) != 2 || st.Hash == "" || !controllerutil.ContainsFinalizer(dep, pushsync.Finalizer) {
		t.Fatalf("record %+v, finalizers %v", st, dep.Finalizers)
	}
	w.expectEvent("Normal Synced synced 2 secret(s)")
}

func TestUnchangedDataCostsNoVaultRequest(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web"), "db"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	writes := len(w.vault.Writes())
	dep := w.deployment("web")
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if len(w.vault.Writes()) != writes || w.deployment("web").ResourceVersion != dep.ResourceVersion {
		t.Fatal("an unchanged Deployment was written again")
	}
}

func TestExplicitSelectionMergesKeysWithPrefixes(t *testing.T) {
	sel := `[{"name":"db","keys":["user"],"prefix":"db_"},{"name":"api"}]`
	w := newWorld(t, secret("db", "user", "u", "pass", "p"), secret("api", "token", "t"),
		deployment("app", pathAnn("secret/data/app", pushsync.AnnotationSecrets, sel)))
	if _, err := w.reconcile("app"); err != nil {
		t.Fatal(err)
	}
	if got := w.kv("secret/data/app"); len(got) != 2 || got["db_user"] != "u" || got["token"] != "t" {
		t.Fatalf("app = %v", got)
	}
}

func TestAPathChangeRemovesTheOldLocation(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/old"), "db"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	dep := w.deployment("web")
	dep.Annotations[pushsync.AnnotationPath] = "secret/data/new"
	if err := w.c.Update(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if w.kv("secret/data/old/db") != nil || w.kv("secret/data/new/db") == nil {
		t.Fatalf("old %v, new %v", w.kv("secret/data/old/db"), w.kv("secret/data/new/db"))
	}
}

func TestDeletionRemovesWhatWasWrittenThenTheFinalizer(t *testing.T) {
	for _, preserve := range []bool{false, true} {
		w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web", pushsync.AnnotationPreserveOnDelete, map[bool]string{true: "true", false: "false"}[preserve]), "db"))
		if _, err := w.reconcile("web"); err != nil {
			t.Fatal(err)
		}
		if err := w.c.Delete(context.Background(), w.deployment("web")); err != nil {
			t.Fatal(err)
		}
		if _, err := w.reconcile("web"); err != nil {
			t.Fatal(err)
		}
		if w.deployment("web") != nil {
			t.Fatal("finalizer not released")
		}
		if kept := w.kv("secret/data/web/db") != nil; kept != preserve {
			t.Fatalf("preserve-on-delete=%v: data kept=%v", preserve, kept)
		}
	}
}

func TestRemovedAnnotationCleansUp(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web"), "db"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	dep := w.deployment("web")
	delete(dep.Annotations, pushsync.AnnotationPath)
	if err := w.c.Update(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	dep = w.deployment("web")
	if w.kv("secret/data/web/db") != nil || controllerutil.ContainsFinalizer(dep, pushsync.Finalizer) || dep.Annotations[pushsync.AnnotationState] != "" {
		t.Fatalf("left behind: data %v, finalizers %v, annotations %v", w.kv("secret/data/web/db"), dep.Finalizers, dep.Annotations)
	}
}

func TestAFailedDeleteKeepsTheFinalizer(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web"), "db"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	_ = w.c.Delete(context.Background(), w.deployment("web"))
	w.vault.Fail("delete", &vault.Error{Category: vault.CategoryUnavailable, Op: "delete"})
	if _, err := w.reconcile("web"); err == nil || errors.Is(err, reconcile.TerminalError(nil)) {
		t.Fatalf("err = %v, want a retried error", err)
	}
	if w.deployment("web") == nil {
		t.Fatal("the Deployment went with its data still in Vault")
	}
	w.expectEvent("Warning VaultDeleteFailed")
}

func TestAPathOwnedBySomeoneElseIsNeitherWrittenNorDeleted(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/shared"), "db"))
	w.vault.PutKV("secret/data/shared/db", map[string]any{"theirs": "x"}, vault.NewOwner("other", "ns", "Deployment", "x", "uid-x"))
	if _, err := w.reconcile("web"); err == nil {
		t.Fatal("wrote over another owner's data")
	}
	w.expectEvent("Warning VaultPathConflict")
	_ = w.c.Delete(context.Background(), w.deployment("web"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if got := w.kv("secret/data/shared/db"); got["theirs"] != "x" {
		t.Fatalf("someone else's data = %v", got)
	}
}

func TestPeriodicReconcileRestoresDriftedData(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web", pushsync.AnnotationReconcile, "30s"), "db"))
	res, err := w.reconcile("web")
	if err != nil || res.RequeueAfter < 30*time.Second {
		t.Fatalf("result %+v, %v", res, err)
	}
	w.vault.PutKV("secret/data/web/db", map[string]any{"user": "changed"}, w.r.owner(w.deployment("web")))
	w.r.verified.Store(keyOf(w.deployment("web")), time.Now().Add(-time.Minute)) // the interval passed
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if got := w.kv("secret/data/web/db"); got["user"] != "u" {
		t.Fatalf("not restored: %v", got)
	}
	w.expectEvent("Normal Restored")
}

func TestTheRecordAndFinalizerComeBeforeAnyWriteAndAFailedWriteIsRetried(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web"), "db"))
	w.vault.Fail("write", &vault.Error{Category: vault.CategoryUnavailable, Op: "write"})
	if _, err := w.reconcile("web"); err == nil {
		t.Fatal("want the write failure")
	}
	dep := w.deployment("web")
	st, _ := pushsync.ReadState(dep.Annotations)
	if !controllerutil.ContainsFinalizer(dep, pushsync.Finalizer) || len(st.Locations) != 1 {
		t.Fatalf("a write may have happened without a record: %+v, %v", st, dep.Finalizers)
	}
	if len(w.vault.Writes()) != 0 {
		t.Fatalf("writes = %v", w.vault.Writes())
	}
	w.vault.Fail("write", nil)
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if w.kv("secret/data/web/db")["user"] != "u" {
		t.Fatal("the record already had the new hash, and the retry did not write")
	}
}

// A new operator process finds the record ahead of Vault (the old one
// died between the record and the write): it writes; finding Vault as
// recorded, it reads once per location and writes nothing.
func TestANewProcessChecksOnceThatVaultHoldsTheRecord(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web"), "db"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	restart := func() {
		w.r = &Reconciler{Client: w.r.Client, Secrets: w.r.Secrets, Vault: w.r.Vault, Tracker: w.r.Tracker, Events: w.r.Events, Key: w.r.Key}
	}
	restart()
	writes, rv := len(w.vault.Writes()), w.deployment("web").ResourceVersion
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if len(w.vault.Writes()) != writes || w.deployment("web").ResourceVersion != rv {
		t.Fatal("a restart wrote although Vault holds what the record says")
	}
	loc, _ := w.vault.ResolveKV(context.Background(), "secret/data/web/db")
	if err := w.vault.DeleteOwned(context.Background(), loc, w.r.owner(w.deployment("web"))); err != nil {
		t.Fatal(err)
	}
	restart() // as if the old process died after recording, before writing
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if w.kv("secret/data/web/db")["user"] != "u" {
		t.Fatal("a record ahead of Vault was trusted: the data is missing")
	}
}
