package push

import (
	"context"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// forge writes a record on the Deployment as a tenant would: by editing
// the annotation, without the operator's key.
func (w *world) forge(name string, s pushsync.State) {
	w.t.Helper()
	dep := w.deployment(name)
	dep.Annotations[pushsync.AnnotationState] = s.Encode()
	if err := w.c.Update(context.Background(), dep); err != nil {
		w.t.Fatal(err)
	}
}

func TestAForgedRecordDeletesNothingItDoesNotProveOwned(t *testing.T) {
	victimV2 := vault.Location{Mount: "secret", Version: 2, Path: "team-b/db"}
	cases := []struct {
		name string
		loc  vault.Location
	}{
		{"should not follow .. out of the tenant's path", vault.Location{Mount: "secret", Version: 2, Path: "team-a/../../metadata/team-b/db"}},
		{"should not delete another owner's KV v2 secret", victimV2},
		{"should not trust a KV v2 path recorded as KV v1 (no ownership check)", vault.Location{Mount: "secret", Version: 1, Path: "data/team-b/db"}},
		{"should not delete a KV v1 secret it cannot prove it wrote", vault.Location{Mount: "kv1", Version: 1, Path: "team-b/db"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/team-a"), "db"))
			w.vault.PutKV("secret/data/team-b/db", map[string]any{"pw": "team-b's"}, vault.NewOwner("", "team-b", "Deployment", "db", "uid-db"))
			w.vault.PutKV("kv1/team-b/db", map[string]any{"pw": "team-b's"}, vault.Owner{})
			if _, err := w.reconcile("web"); err != nil {
				t.Fatal(err)
			}
			w.forge("web", pushsync.State{Hash: "x", Locations: []vault.Location{tc.loc}})
			_ = w.c.Delete(context.Background(), w.deployment("web"))
			if _, err := w.reconcile("web"); err != nil {
				t.Fatal(err)
			}
			if w.kv("secret/data/team-b/db")["pw"] != "team-b's" || w.kv("kv1/team-b/db")["pw"] != "team-b's" {
				t.Fatalf("team-b's data was deleted: deletes %v", w.vault.Deletes())
			}
			w.expectEvent("Warning RecordNotTrusted")
		})
	}
}

func TestAForgedKVv1RecordDoesNotMakeForeignDataOverwritable(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("kv1/team-b"), "db"))
	w.vault.PutKV("kv1/team-b/db", map[string]any{"pw": "team-b's"}, vault.Owner{})
	w.forge("web", pushsync.State{Locations: []vault.Location{{Mount: "kv1", Version: 1, Path: "team-b/db"}}})
	if _, err := w.reconcile("web"); err == nil {
		t.Fatal("overwrote a KV v1 secret the forged record claimed")
	}
	if w.kv("kv1/team-b/db")["pw"] != "team-b's" {
		t.Fatal("team-b's KV v1 data was overwritten")
	}
	w.expectEvent("Warning VaultPathConflict")
}

func TestARecordCopiedFromAnotherDeploymentIsNotTrusted(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("a", pathAnn("secret/data/a"), "db"), deployment("b", pathAnn("secret/data/b"), "db"))
	for _, n := range []string{"a", "b"} {
		if _, err := w.reconcile(n); err != nil {
			t.Fatal(err)
		}
	}
	stolen := w.deployment("a").Annotations[pushsync.AnnotationState]
	b := w.deployment("b")
	b.Annotations[pushsync.AnnotationState] = stolen
	if err := w.c.Update(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	_ = w.c.Delete(context.Background(), w.deployment("b"))
	if _, err := w.reconcile("b"); err != nil {
		t.Fatal(err)
	}
	if w.kv("secret/data/a/db") == nil {
		t.Fatal("deleting b removed a's data through a's copied record")
	}
}

func TestAnUnsealedRecordIsCleanedWhereVaultProvesOwnership(t *testing.T) {
	// A record written before records were sealed (upgrade): its KV v2
	// location carries this Deployment's owner metadata.
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/new"), "db"))
	loc := w.vault.PutKV("secret/data/old/db", map[string]any{"user": "u"}, w.r.owner(w.deployment("web")))
	w.forge("web", pushsync.State{Hash: "sha256:legacy", Locations: []vault.Location{loc}})
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if w.kv("secret/data/old/db") != nil || w.kv("secret/data/new/db") == nil {
		t.Fatal("the legacy location provably ours was not cleaned, or the new one not written")
	}
	rec, _, _ := pushsync.ReadRecord(w.deployment("web").Annotations, w.r.Key, string(w.deployment("web").UID))
	if len(rec.Trusted.Locations) != 1 || rec.Trusted.Locations[0].Path != "new/db" {
		t.Fatalf("the new record is not sealed or lists the old location: %+v", rec)
	}
}

func TestOwnershipFollowsTheObjectNotJustItsName(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web", pushsync.AnnotationPreserveOnDelete, "true"), "db"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	loc, _ := w.vault.ResolveKV(context.Background(), "secret/data/web/db")
	if w.vault.Metadata(loc)[vault.MetaOwnerUID] != "uid-web" {
		t.Fatalf("metadata = %v", w.vault.Metadata(loc))
	}
	// A namesake in another cluster with the same --cluster-name (another UID) may not take it.
	other := w.r.owner(w.deployment("web"))
	other.UID = "uid-elsewhere"
	if _, err := w.vault.WriteOwned(context.Background(), loc, map[string]any{"x": "y"}, other, vault.Expect{}); !vault.IsCategory(err, vault.CategoryConflict) {
		t.Fatalf("a namesake with another UID wrote: %v", err)
	}
	// Deleted with preserve-on-delete: released, and a re-created namesake takes it over.
	_ = w.c.Delete(context.Background(), w.deployment("web"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if w.vault.Metadata(loc)[vault.MetaReleased] != "true" {
		t.Fatalf("not released: %v", w.vault.Metadata(loc))
	}
	if _, err := w.vault.WriteOwned(context.Background(), loc, map[string]any{"x": "y"}, other, vault.Expect{}); err != nil {
		t.Fatalf("a namesake could not take over released data: %v", err)
	}
	if md := w.vault.Metadata(loc); md[vault.MetaOwnerUID] != "uid-elsewhere" || md[vault.MetaReleased] != nil {
		t.Fatalf("not restamped for its new owner: %v", md)
	}
}

// A location the record only claimed (listed before a write that Vault
// refused) proves nothing: retries keep refusing to overwrite what is
// there, KV v1 and KV v2 alike, and deleting the Deployment deletes none of it.
func TestAClaimNeverMakesForeignDataOurs(t *testing.T) {
	for _, path := range []string{"kv1/shared", "secret/data/shared"} {
		w := newWorld(t, secret("db", "user", "mallory"), deployment("web", pathAnn(path), "db"))
		w.vault.PutKV(path+"/db", map[string]any{"user": "team-b"}, vault.Owner{})
		for range 3 {
			if _, err := w.reconcile("web"); err == nil {
				t.Fatalf("%s: wrote over data it never wrote", path)
			}
		}
		_ = w.c.Delete(context.Background(), w.deployment("web"))
		if _, err := w.reconcile("web"); err != nil {
			t.Fatal(err)
		}
		if got := w.kv(path + "/db"); got["user"] != "team-b" {
			t.Fatalf("%s: foreign data = %v", path, got)
		}
	}
}
