package vaultapp

import (
	"context"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func TestStaticReadsAreSharedWithinTheRefreshWindowOnly(t *testing.T) {
	fv := kvVault(map[string]map[string]any{"kv/data/shared": {"k": "v"}})
	fv.SetEngine(dbPath, map[string]any{"username": "u"}, time.Hour)
	c := newReadCache(time.Hour)
	ctx := context.Background()
	a, b := vault.Identity{Role: "team-a"}, vault.Identity{Role: "team-b"}
	loc, _ := fv.ResolveKV(ctx, "kv/data/shared")
	read := func(id vault.Identity, path string, maxAge time.Duration, fresh bool) {
		t.Helper()
		if _, err := c.read(ctx, fv, id, path, maxAge, fresh); err != nil {
			t.Fatal(err)
		}
	}
	read(a, "kv/data/shared", time.Minute, false)
	read(a, "kv/data/shared", time.Minute, false)
	if n := fv.Reads(loc.String()); n != 1 {
		t.Fatalf("%d reads: the same identity and path within the window must cost one", n)
	}
	read(b, "kv/data/shared", time.Minute, false)
	if n := fv.Reads(loc.String()); n != 2 {
		t.Fatalf("%d reads: another identity must never get a cached read", n)
	}
	read(a, "kv/data/shared", time.Minute, true)
	read(a, "kv/data/shared", 0, false)
	if n := fv.Reads(loc.String()); n != 4 {
		t.Fatalf("%d reads: a refresh request or an expired window must read again", n)
	}
	read(a, dbPath, time.Minute, false)
	read(a, dbPath, time.Minute, false)
	if n := fv.Reads(dbPath); n != 2 {
		t.Fatalf("%d reads of a dynamic path: each read must issue its own credentials", n)
	}
}
