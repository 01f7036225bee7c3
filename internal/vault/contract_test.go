package vault_test

import (
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault/fake"
)

// store is what the controllers use of Vault.
type store interface {
	vault.KVStore
	vault.SecretSource
	vault.LeaseClient
}

// backend is one implementation of store with a way to seed it.
type backend struct {
	store
	putKV     func(path string, data map[string]any, owner vault.Owner)
	setEngine func(path string, data map[string]any, ttl time.Duration)
}

// eachBackend runs f against the real client (over the in-memory Vault
// server) and against the fake, so that controller tests on the fake
// stay true to Vault.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Run("vault", func(t *testing.T) {
		tv := vault.NewTestVault(t)
		f(t, backend{store: tv.Client, putKV: tv.PutKV, setEngine: tv.SetEngine})
	})
	t.Run("fake", func(t *testing.T) {
		fv := fake.New(vault.Identity{Role: "operator"})
		f(t, backend{store: fv, putKV: func(p string, d map[string]any, o vault.Owner) { fv.PutKV(p, d, o) },
			setEngine: func(p string, d map[string]any, ttl time.Duration) { fv.SetEngine(p, d, ttl) }})
	})
}

var (
	me    = vault.Owner{Name: "prod/team/Deployment/web", UID: "uid-web"}
	other = vault.Owner{Name: "prod/team/Deployment/api", UID: "uid-api"}
	// namesake is an earlier object of me's name.
	namesake = vault.Owner{Name: me.Name, UID: "uid-web-before"}
	// unowned seeds data without owner metadata; nothing seeds nothing.
	unowned, nothing = vault.Owner{}, vault.Owner{Name: "-"}
)

// seed stores {"k": value} at path as owner (nothing: stores nothing) and
// resolves path.
func seed(t *testing.T, b backend, path string, owner vault.Owner, value string) vault.Location {
	t.Helper()
	if owner != nothing {
		b.putKV(path, map[string]any{"k": value}, owner)
	}
	loc, err := b.ResolveKV(t.Context(), path)
	if err != nil {
		t.Fatalf("ResolveKV(%s): %v", path, err)
	}
	return loc
}

func TestContractResolveKV(t *testing.T) {
	cases := []struct {
		name, path string
		want       vault.Location
		wantErr    vault.Category
	}{
		{"should resolve a KV v2 API path", "secret/data/app", vault.Location{Mount: "secret", Version: 2, Path: "app"}, ""},
		{"should resolve a KV v2 short path to the same secret", "secret/app", vault.Location{Mount: "secret", Version: 2, Path: "app"}, ""},
		{"should resolve a KV v1 path", "kv1/app", vault.Location{Mount: "kv1", Version: 1, Path: "app"}, ""},
		{"should refuse a KV v2 metadata path", "secret/metadata/app", vault.Location{}, vault.CategoryInvalidPath},
		{"should refuse an unmounted path", "nowhere/app", vault.Location{}, vault.CategoryInvalidPath},
		{"should refuse an invalid path", "secret//app", vault.Location{}, vault.CategoryInvalidPath},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				loc, err := b.ResolveKV(t.Context(), tc.path)
				if vault.CategoryOf(err) != tc.wantErr || err == nil && loc != tc.want {
					t.Fatalf("ResolveKV = %+v, %v; want %+v, %q", loc, err, tc.want, tc.wantErr)
				}
			})
		})
	}
}

func TestContractSecretsAndLeases(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		seed(t, b, "secret/data/app", me, "kv2")
		b.setEngine("database/creds/app", map[string]any{"username": "u1"}, time.Hour)
		b.setEngine("pki/issue/web", map[string]any{"certificate": "PEM"}, 0)

		kv, err := b.ReadSecret(ctx, "secret/app")
		if err != nil || kv.Data["k"] != "kv2" || kv.KVVersion != 2 || kv.LeaseID != "" {
			t.Fatalf("ReadSecret(KV v2) = %+v, %v", kv, err)
		}
		if _, err := b.ReadSecret(ctx, "database/creds/none"); !vault.IsCategory(err, vault.CategoryNotFound) {
			t.Fatalf("ReadSecret(missing) = %v, want not found", err)
		}
		dyn, err := b.ReadSecret(ctx, "database/creds/app")
		if err != nil || dyn.Data["username"] != "u1" || dyn.LeaseID == "" || dyn.LeaseDuration != time.Hour || !dyn.Renewable {
			t.Fatalf("ReadSecret(dynamic) = %+v, %v", dyn, err)
		}

		cert, err := b.IssueSecret(ctx, "pki/issue/web", map[string]any{"common_name": "web"})
		if err != nil || cert.Data["certificate"] != "PEM" || cert.LeaseID != "" {
			t.Fatalf("IssueSecret = %+v, %v", cert, err)
		}

		info, err := b.LookupLease(ctx, dyn.LeaseID)
		if err != nil || info.ID != dyn.LeaseID || info.TTL < 59*time.Minute || !info.Renewable {
			t.Fatalf("LookupLease = %+v, %v", info, err)
		}
		if info, err = b.RenewLease(ctx, dyn.LeaseID, 30*time.Minute); err != nil || info.TTL < 29*time.Minute || info.TTL > 30*time.Minute {
			t.Fatalf("RenewLease = %+v, %v; want 30m granted", info, err)
		}
		if err := b.RevokeLease(ctx, dyn.LeaseID); err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func() error{
			"LookupLease": func() error { _, err := b.LookupLease(ctx, dyn.LeaseID); return err },
			"RenewLease":  func() error { _, err := b.RenewLease(ctx, dyn.LeaseID, time.Minute); return err },
		} {
			if err := call(); !vault.IsCategory(err, vault.CategoryNotFound) {
				t.Fatalf("%s of a revoked lease = %v, want not found", name, err)
			}
		}
	})
}
