package push

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// restart gives the world a new Reconciler with the same API server,
// Vault and key: what the old process kept in memory is gone.
func (w *world) restart() {
	old := w.r
	w.r = &Reconciler{Client: old.Client, Secrets: old.Secrets, Vault: old.Vault, Tracker: old.Tracker, Events: old.Events, Key: old.Key}
}

// replay puts back a record the operator sealed earlier on the Deployment,
// as a tenant can: it verifies, it is just not the latest.
func (w *world) replay(name, annotation string) {
	w.t.Helper()
	dep := w.deployment(name)
	dep.Annotations[pushsync.AnnotationState] = annotation
	if err := w.c.Update(context.Background(), dep); err != nil {
		w.t.Fatal(err)
	}
}

// A replayed older record names a version the operator once wrote: it is
// no proof now, so the write checks the owner in Vault instead of writing
// at that version.
func TestAReplayedRecordIsNoProofOfAVersion(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web"), "db"))
	wit := witness(w)
	var old string
	for _, value := range []string{"u", "v", "x"} {
		w.setSecret("db", "user", value)
		if _, err := w.reconcile("web"); err != nil {
			t.Fatal(err)
		}
		if value == "v" {
			old = w.deployment("web").Annotations[pushsync.AnnotationState]
		}
	}
	w.replay("web", old)
	w.setSecret("db", "user", "y")
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if last := wit.expects[len(wit.expects)-1]; last.Written {
		t.Fatalf("the write after the replay expects %+v: the old record was taken as proof", last)
	}
	if len(wit.unfounded) > 0 || w.kv("secret/data/web/db")["user"] != "y" {
		t.Fatalf("unfounded %v, stored %v", wit.unfounded, w.kv("secret/data/web/db"))
	}
}

// KV v1 has no owner metadata: after a restart a recorded write is proven
// by the data still being what was written (keyed sum in the record), so
// the operator's own data is updated and deleted, and data someone else
// wrote over it since is neither.
func TestAfterARestartKVv1WritesAreProvenByTheirData(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("kv1/web"), "db"))
	wit := witness(w)
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	w.restart()
	wit = witness(w)
	w.setSecret("db", "user", "v")
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if want := (vault.Expect{Claimed: true, Written: true, Listed: true}); !slices.Equal(wit.expects, []vault.Expect{want}) {
		t.Fatalf("after the restart the write expected %+v, want %+v (the data proved the write)", wit.expects, want)
	}
	if got := w.kv("kv1/web/db")["user"]; got != "v" {
		t.Fatalf("kv1/web/db holds %v, want the update", got)
	}
	// Someone writes over it; after another restart the operator cannot
	// prove the data is its own: it neither overwrites nor deletes it.
	w.vault.PutKV("kv1/web/db", map[string]any{"user": "theirs"}, vault.Owner{})
	w.restart()
	w.setSecret("db", "user", "x")
	if _, err := w.reconcile("web"); !vault.IsCategory(err, vault.CategoryConflict) {
		t.Fatalf("sync over foreign KV v1 data = %v, want a conflict", err)
	}
	_ = w.c.Delete(context.Background(), w.deployment("web"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if got := w.kv("kv1/web/db")["user"]; got != "theirs" {
		t.Fatalf("kv1/web/db holds %v after the Deployment's deletion, want the other writer's data kept", got)
	}
}

// A replayed record that lists a KV v1 location the Deployment has since
// left, which someone else wrote afterwards, deletes nothing there.
func TestAReplayedRecordDeletesNoKVv1DataWrittenSince(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("kv1/web"), "db"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	old := w.deployment("web").Annotations[pushsync.AnnotationState]
	dep := w.deployment("web")
	dep.Annotations[pushsync.AnnotationPath] = "kv1/moved"
	if err := w.c.Update(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if w.kv("kv1/web/db") != nil {
		t.Fatal("the old location was not removed after the path change")
	}
	w.vault.PutKV("kv1/web/db", map[string]any{"pw": "someone else's"}, vault.Owner{})
	w.replay("web", old)
	w.drainEvents()
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if got := w.kv("kv1/web/db")["pw"]; got != "someone else's" {
		t.Fatalf("kv1/web/db holds %v after the replay, want the other writer's data kept", got)
	}
	if ev := strings.Join(w.drainEvents(), "\n"); !strings.Contains(ev, "left in vault, not deleted") {
		t.Fatalf("events %s: want the location reported as left", ev)
	}
}
