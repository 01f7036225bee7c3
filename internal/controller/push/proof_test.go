package push

import (
	"context"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

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

// failRecordOnce makes the n-th Deployment patch from now fail once, as a
// lost connection to the API server would: the write before it landed in
// Vault, the record of it did not.
func (w *world) failRecordOnce(n int) {
	patches := 0
	w.r.Client = interceptor.NewClient(w.c.(client.WithWatch), interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if _, ok := obj.(*appsv1.Deployment); ok {
				if patches++; patches == n {
					return apierrors.NewServiceUnavailable("connection lost")
				}
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
	})
}

// A KV v1 write whose record failed (after the write, the patch recording
// it) is still the operator's: the intent carried the keyed sum of the
// data about to be written, so the next sync updates it, in this process
// or after a restart, and a deletion removes it. Without that sum the
// operator could never prove the data its own, and every later sync was a
// VaultPathConflict over its own secret.
func TestAKVv1WriteWhoseRecordFailedIsStillProven(t *testing.T) {
	for _, restart := range []bool{false, true} {
		w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("kv1/web"), "db"))
		w.failRecordOnce(2) // the first sync's record of its write
		if _, err := w.reconcile("web"); err == nil {
			t.Fatal("the first sync succeeded although recording its write failed")
		}
		if got := w.kv("kv1/web/db")["user"]; got != "u" {
			t.Fatalf("kv1/web/db holds %v, want the first write", got)
		}
		if restart {
			w.restart()
		}
		w.setSecret("db", "user", "v")
		if _, err := w.reconcile("web"); err != nil {
			t.Fatalf("restart %v: the sync after the failed record = %v, want the operator's own write proven", restart, err)
		}
		if got := w.kv("kv1/web/db")["user"]; got != "v" {
			t.Fatalf("restart %v: kv1/web/db holds %v, want the update", restart, got)
		}
	}
}

// The same after a crash between the write and its record, then the
// Deployment's deletion: the cleanup proves the data by the announced sum
// and deletes it; data someone else wrote there instead is kept.
func TestAKVv1WriteWhoseRecordFailedIsCleanedUp(t *testing.T) {
	for _, foreign := range []bool{false, true} {
		w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("kv1/web"), "db"))
		w.failRecordOnce(2)
		if _, err := w.reconcile("web"); err == nil {
			t.Fatal("the first sync succeeded although recording its write failed")
		}
		if foreign {
			w.vault.PutKV("kv1/web/db", map[string]any{"user": "theirs"}, vault.Owner{})
		}
		w.restart()
		if err := w.c.Delete(context.Background(), w.deployment("web")); err != nil {
			t.Fatal(err)
		}
		if _, err := w.reconcile("web"); err != nil {
			t.Fatal(err)
		}
		got := w.kv("kv1/web/db")
		if foreign && got["user"] != "theirs" || !foreign && got != nil {
			t.Fatalf("someone else's data: %v; kv1/web/db after the deletion: %v", foreign, got)
		}
	}
}
