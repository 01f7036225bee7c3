package push

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// versionWitness passes every call to the fake Vault, keeps the Expect of
// each WriteOwned, and notes each one that says Written where that owner
// never wrote successfully, or names a version other than the one its
// last successful write there returned: vault.KV.WriteOwned takes Written
// with a version as proof that the owner wrote that version (its
// check-and-set fast path checks no owner), which the fake does not model.
type versionWitness struct {
	vault.KVStore
	mu        sync.Mutex
	written   map[string]int // by owner UID and location: the version of the last successful write
	expects   []vault.Expect
	unfounded []string
}

func witness(w *world) *versionWitness {
	v := &versionWitness{KVStore: w.vault, written: map[string]int{}}
	w.r.Vault = func(*appsv1.Deployment) vault.KVStore { return v }
	return v
}

func (w *versionWitness) WriteOwned(ctx context.Context, loc vault.Location, data map[string]any, owner vault.Owner, exp vault.Expect) (int, error) {
	w.mu.Lock()
	key := owner.UID + " " + loc.String()
	last, wrote := w.written[key]
	if exp.Written && (!wrote || loc.Version == 2 && exp.Version != last) {
		w.unfounded = append(w.unfounded, fmt.Sprintf("%s at %s expects %+v; its last write: %v, version %d", owner.Name, loc, exp, wrote, last))
	}
	w.expects = append(w.expects, exp)
	w.mu.Unlock()
	v, err := w.KVStore.WriteOwned(ctx, loc, data, owner, exp)
	if err == nil {
		w.mu.Lock()
		w.written[key] = v
		w.mu.Unlock()
	}
	return v, err
}

// setSecret changes the value of key in the Secret name.
func (w *world) setSecret(name, key, value string) {
	w.t.Helper()
	var s corev1.Secret
	if err := w.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		w.t.Fatal(err)
	}
	s.Data[key] = []byte(value)
	if err := w.c.Update(context.Background(), &s); err != nil {
		w.t.Fatal(err)
	}
}

func TestARetriedWriteExpectsOnlyAVersionItWrote(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"),
		deployment("web", pathAnn("secret/data/shared"), "db"), deployment("api", pathAnn("secret/data/shared"), "db"))
	wit := witness(w)
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // api's first sync and its retry: both refused
		if _, err := w.reconcile("api"); !vault.IsCategory(err, vault.CategoryConflict) {
			t.Fatalf("api's sync = %v, want the path conflict", err)
		}
	}
	if len(wit.unfounded) > 0 {
		t.Fatalf("writes expecting versions they did not write: %v", wit.unfounded)
	}
	if retry := wit.expects[2]; retry != (vault.Expect{Claimed: true, Listed: true}) {
		t.Fatalf("api's retry expects %+v, want the location only claimed", retry)
	}
}

// A location is written at its recorded version without a read only once
// the record holds a version a write returned: the create is only claimed
// (its owner metadata proves it), the first change records its version,
// the next change writes at it.
func TestOnlyAWrittenLocationIsWrittenAtItsVersion(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web"), "db"))
	wit := witness(w)
	loc, _ := w.vault.ResolveKV(context.Background(), "secret/data/web/db")
	var versions []map[string]int
	for _, value := range []string{"u", "v", "x"} {
		w.setSecret("db", "user", value)
		if _, err := w.reconcile("web"); err != nil {
			t.Fatal(err)
		}
		st, _ := pushsync.ReadState(w.deployment("web").Annotations)
		versions = append(versions, st.Versions)
	}
	want := []vault.Expect{{Claimed: true}, {Claimed: true, Listed: true}, {Claimed: true, Written: true, Version: 2, Listed: true}}
	if !reflect.DeepEqual(wit.expects, want) {
		t.Fatalf("writes expected %+v, want %+v", wit.expects, want)
	}
	wantVersions := []map[string]int{nil, {loc.String(): 2}, {loc.String(): 3}}
	if !reflect.DeepEqual(versions, wantVersions) {
		t.Fatalf("recorded versions %v, want %v", versions, wantVersions)
	}
	if w.kv("secret/data/web/db")["user"] != "x" || w.vault.Reads(loc.String()) != 0 || len(wit.unfounded) > 0 {
		t.Fatalf("stored %v, %d reads, unfounded %v", w.kv("secret/data/web/db"), w.vault.Reads(loc.String()), wit.unfounded)
	}
}

// A change whose write fails is retried by the next sync with the record
// recordIntent left, which already names the version the failed write
// meant to create.
func TestARetryAfterAFailedWriteExpectsOnlyAVersionItWrote(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/web"), "db"))
	wit := witness(w)
	for _, value := range []string{"u", "v"} { // created, then written at a recorded version
		w.setSecret("db", "user", value)
		if _, err := w.reconcile("web"); err != nil {
			t.Fatal(err)
		}
	}
	w.setSecret("db", "user", "x")
	w.vault.Fail("write", &vault.Error{Category: vault.CategoryUnavailable, Op: "write"})
	if _, err := w.reconcile("web"); err == nil {
		t.Fatal("want the write failure")
	}
	w.vault.Fail("write", nil)
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if len(wit.unfounded) > 0 {
		t.Fatalf("writes expecting versions they did not write: %v (all: %+v)", wit.unfounded, wit.expects)
	}
}

// KV v1 has no metadata to prove a write: the record says which ones
// happened, so the next change overwrites its own data and the
// Deployment's deletion removes it.
func TestAKVv1WriteIsRecordedAsWritten(t *testing.T) {
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("kv1/web"), "db"))
	wit := witness(w)
	loc, _ := w.vault.ResolveKV(context.Background(), "kv1/web/db")
	for _, value := range []string{"u", "v"} {
		w.setSecret("db", "user", value)
		if _, err := w.reconcile("web"); err != nil {
			t.Fatal(err)
		}
	}
	want := []vault.Expect{{Claimed: true}, {Claimed: true, Written: true, Listed: true}}
	if !reflect.DeepEqual(wit.expects, want) {
		t.Fatalf("writes expected %+v, want %+v", wit.expects, want)
	}
	if st, _ := pushsync.ReadState(w.deployment("web").Annotations); !reflect.DeepEqual(st.Versions, map[string]int{loc.String(): 0}) {
		t.Fatalf("recorded versions %v, want the KV v1 write", st.Versions)
	}
	_ = w.c.Delete(context.Background(), w.deployment("web"))
	if _, err := w.reconcile("web"); err != nil {
		t.Fatal(err)
	}
	if got := w.kv("kv1/web/db"); got != nil {
		t.Fatalf("after the Deployment's deletion kv1/web/db holds %v", got)
	}
}
