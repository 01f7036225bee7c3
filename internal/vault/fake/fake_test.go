package fake

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// The fake's Vault semantics (ownership, KV versions, leases) are held to
// the real client's by internal/vault/contract_test.go; these tests cover
// what only the fake has: recording, failure injection and token changes.

var owner = vault.Owner{Name: "prod/team/Deployment/web", UID: "uid-web"}

func TestFakeRecordsWritesDeletesAndReads(t *testing.T) {
	f := New(vault.Identity{Role: "operator"}).Mount("kv2", 2)
	ctx := t.Context()
	a, _ := f.ResolveKV(ctx, "kv2/data/a")
	b, _ := f.ResolveKV(ctx, "secret/b")
	for _, loc := range []vault.Location{a, b, a} {
		if _, err := f.WriteOwned(ctx, loc, map[string]any{"k": "v"}, owner, vault.Expect{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.DeleteOwned(ctx, b, owner); err != nil {
		t.Fatal(err)
	}
	if w := f.Writes(); !slices.Equal(w, []string{"kv2/data/a", "secret/data/b", "kv2/data/a"}) {
		t.Fatalf("Writes = %v", w)
	}
	if d := f.Deletes(); !slices.Equal(d, []string{"secret/data/b"}) {
		t.Fatalf("Deletes = %v", d)
	}
	got, _ := f.ReadKV(ctx, a)
	if got.Version != 2 {
		t.Fatalf("version after two writes = %d", got.Version)
	}
	got.Data["k"] = "changed by the caller"
	if f.KV(a)["k"] != "v" || f.KV(b) != nil {
		t.Fatalf("stored a = %v, b = %v: reads must return copies, deletes must remove", f.KV(a), f.KV(b))
	}
	f.SetEngine("database/creds/app", map[string]any{"u": "x"}, 0)
	for range 2 {
		if _, err := f.ReadSecret(ctx, "database/creds/app"); err != nil {
			t.Fatal(err)
		}
	}
	if f.Reads("database/creds/app") != 2 || f.Reads(a.String()) != 1 || f.TotalReads() != 3 {
		t.Fatalf("reads: engine %d, kv %d, total %d", f.Reads("database/creds/app"), f.Reads(a.String()), f.TotalReads())
	}
	if f.String() != "fake vault (1 kv secrets)" {
		t.Fatalf("String() = %q", f.String())
	}
}

func TestFakeFailsTheInjectedOperations(t *testing.T) {
	boom := &vault.Error{Category: vault.CategoryUnavailable, Op: "x"}
	f := New(vault.Identity{Role: "operator"}).SetEngine("database/creds/app", map[string]any{"u": "x"}, time.Minute)
	ctx := t.Context()
	loc := f.PutKV("secret/data/app", map[string]any{"k": "v"}, owner)
	sec, _ := f.ReadSecret(ctx, "database/creds/app")
	// In an order where each cleared call succeeds (delete and revoke
	// last); op is the operation whose failure is injected.
	calls := []struct {
		name, op string
		call     func() error
	}{
		{"ResolveKV", "resolve", func() error { _, err := f.ResolveKV(ctx, "secret/data/app"); return err }},
		{"ReadKV", "read", func() error { _, err := f.ReadKV(ctx, loc); return err }},
		{"Holds", "read", func() error {
			_, err := f.Holds(ctx, loc, owner, vault.Expect{Claimed: true, Written: true, Version: 1}, nil)
			return err
		}},
		{"WriteOwned", "write", func() error {
			_, err := f.WriteOwned(ctx, loc, nil, owner, vault.Expect{Claimed: true, Written: true, Version: 1})
			return err
		}},
		{"IssueSecret", "issue", func() error { _, err := f.IssueSecret(ctx, "database/creds/app", nil); return err }},
		{"LookupLease", "lookup", func() error { _, err := f.LookupLease(ctx, sec.LeaseID); return err }},
		{"RenewLease", "renew", func() error { _, err := f.RenewLease(ctx, sec.LeaseID, time.Minute); return err }},
		{"RevokeLease", "revoke", func() error { return f.RevokeLease(ctx, sec.LeaseID) }},
		{"DeleteOwned", "delete", func() error { return f.DeleteOwned(ctx, loc, owner) }},
	}
	for _, c := range calls {
		f.Fail(c.op, boom)
		if err := c.call(); !errors.Is(err, boom) {
			t.Fatalf("%s with an injected %s failure = %v", c.name, c.op, err)
		}
		f.Fail(c.op, nil)
		if err := c.call(); err != nil {
			t.Fatalf("%s after the failure was cleared = %v", c.name, err)
		}
	}
}

func TestFakeIssuerAndTokenReplacement(t *testing.T) {
	f := New(vault.Identity{Role: "app"})
	var got map[string]any
	f.SetIssuer(func(path string, params map[string]any) (map[string]any, error) {
		got = params
		return map[string]any{"certificate": "PEM for " + path}, nil
	})
	f.SetEngine("pki/issue/web", nil, time.Hour)
	sec, err := f.IssueSecret(t.Context(), "pki/issue/web", map[string]any{"common_name": "web"})
	if err != nil || sec.Data["certificate"] != "PEM for pki/issue/web" || got["common_name"] != "web" {
		t.Fatalf("IssueSecret = %+v, %v; issuer got %v", sec, err, got)
	}
	if !f.LeaseAlive(sec.LeaseID) || f.Generation() != 1 || f.Identity().Role != "app" {
		t.Fatalf("lease %q alive %v, generation %d", sec.LeaseID, f.LeaseAlive(sec.LeaseID), f.Generation())
	}
	f.ReplaceToken()
	if f.LeaseAlive(sec.LeaseID) || f.Generation() != 2 {
		t.Fatal("the leases of a replaced token survived it")
	}
	if _, err := f.RenewLease(t.Context(), sec.LeaseID, time.Minute); !vault.IsCategory(err, vault.CategoryNotFound) || f.Renewals() != 0 {
		t.Fatalf("renewal of a dead lease = %v after %d renewals", err, f.Renewals())
	}
	if err := f.RevokeLease(t.Context(), sec.LeaseID); err != nil || !slices.Equal(f.Revoked(), []string{sec.LeaseID}) {
		t.Fatalf("Revoked = %v, %v", f.Revoked(), err)
	}
	f.SetIssuer(func(string, map[string]any) (map[string]any, error) { return nil, errors.New("role not found") })
	if _, err := f.IssueSecret(t.Context(), "pki/issue/web", nil); err == nil {
		t.Fatal("the issuer's error was lost")
	}
}

func TestFakeRecordsReleases(t *testing.T) {
	f := New(vault.Identity{Role: "operator"})
	ctx := t.Context()
	loc := f.PutKV("secret/data/app", map[string]any{"k": "v"}, owner)
	if err := f.Release(ctx, loc, owner); err != nil {
		t.Fatal(err)
	}
	if md := f.Metadata(loc); md[vault.MetaReleased] != "true" || md[vault.MetaOwnerUID] != owner.UID {
		t.Fatalf("Metadata after Release = %v", md)
	}
	gone, _ := f.ResolveKV(ctx, "secret/data/gone")
	if md := f.Metadata(gone); md != nil {
		t.Fatalf("Metadata of nothing = %v, want nil", md)
	}
	if err := f.Release(ctx, vault.Location{Mount: "secret", Version: 2, Path: "../x"}, owner); !vault.IsCategory(err, vault.CategoryInvalidPath) {
		t.Fatalf("Release of a forged location = %v", err)
	}
	f.ReleaseLeases(ctx)
	f.ReleaseLeases(ctx)
	if n := f.Released(); n != 2 {
		t.Fatalf("Released = %d, want 2", n)
	}
}

func TestFakeReadSecretOfKVCarriesItsVersion(t *testing.T) {
	f := New(vault.Identity{Role: "operator"})
	f.PutKV("kv1/app", map[string]any{"k": "v1"}, vault.Owner{})
	for path, want := range map[string]int{"kv1/app": 1, "secret/data/none": 0} {
		sec, err := f.ReadSecret(t.Context(), path)
		if want == 0 {
			if !vault.IsCategory(err, vault.CategoryNotFound) {
				t.Fatalf("ReadSecret(%s) = %+v, %v; want not found", path, sec, err)
			}
			continue
		}
		if err != nil || sec.KVVersion != want || sec.Data["k"] != "v1" {
			t.Fatalf("ReadSecret(%s) = %+v, %v", path, sec, err)
		}
	}
}
