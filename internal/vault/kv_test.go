package vault

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestResolveKV(t *testing.T) {
	cases := []struct {
		name       string
		path       string
		denied     bool
		want       Location
		wantErr    Category
		wantDetail string
		wantSent   int // mount look-ups
	}{
		{name: "should resolve a KV v2 API path to the secret in its mount", path: "secret/data/team/app",
			want: Location{Mount: "secret", Version: 2, Path: "team/app"}, wantSent: 1},
		{name: "should resolve a KV v2 path without data/ to the same secret", path: "secret/team/app",
			want: Location{Mount: "secret", Version: 2, Path: "team/app"}, wantSent: 1},
		{name: "should resolve a KV v1 path", path: "kv1/app",
			want: Location{Mount: "kv1", Version: 1, Path: "app"}, wantSent: 1},
		{name: "should refuse a mount that is not KV", path: "database/creds/app",
			wantErr: CategoryInvalidPath, wantDetail: `mount "database/" is a "database" secrets engine, not KV`, wantSent: 1},
		{name: "should refuse a path no engine is mounted at", path: "nowhere/app",
			wantErr: CategoryInvalidPath, wantDetail: "no secrets engine is mounted at this path", wantSent: 1},
		{name: "should explain a denied mount look-up", path: "secret/data/app", denied: true,
			wantErr: CategoryPermissionDenied, wantDetail: "either no secrets engine is mounted there", wantSent: 1},
		{name: "should refuse an invalid path without asking Vault", path: "secret/../sys",
			wantErr: CategoryInvalidPath, wantDetail: "'..' segments are not allowed", wantSent: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			v.denied["sys/internal/ui/mounts/"+tc.path] = tc.denied
			c, _ := newTestClient(t, v)
			loc, err := c.ResolveKV(t.Context(), tc.path)
			if CategoryOf(err) != tc.wantErr || err != nil && !strings.Contains(err.Error(), tc.wantDetail) {
				t.Fatalf("err = %v, want %q: %s", err, tc.wantErr, tc.wantDetail)
			}
			if loc != tc.want {
				t.Fatalf("location = %+v, want %+v", loc, tc.want)
			}
			if n := v.sent("GET sys/internal/ui/mounts/"); n != tc.wantSent {
				t.Fatalf("%d mount look-ups, want %d", n, tc.wantSent)
			}
		})
	}
}

func TestMountsAreCachedPerMount(t *testing.T) {
	v := newVaultServer(t)
	c, _ := newTestClient(t, v)
	for _, p := range []string{"secret/data/a", "secret/data/a", "secret/b/c"} {
		if _, err := c.ResolveKV(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.sent("GET sys/internal/ui/mounts/"); n != 1 {
		t.Fatalf("%d mount look-ups for three paths of one mount, want 1", n)
	}

	c.KV.mounts.ttl = time.Nanosecond // a re-mounted engine is noticed once the entry expires
	if _, err := c.ResolveKV(t.Context(), "secret/data/a"); err != nil {
		t.Fatal(err)
	}
	if n := v.sent("GET sys/internal/ui/mounts/"); n != 2 {
		t.Fatalf("%d mount look-ups after expiry, want 2", n)
	}
}

func TestConcurrentMountLookupsOfOnePathAreOneRequest(t *testing.T) {
	v := newVaultServer(t)
	gate, release := newGate(t)
	v.before = func(method, p string) {
		if strings.HasPrefix(p, "sys/internal/ui/mounts/") {
			<-gate
		}
	}
	c, _ := newTestClient(t, v)
	if _, err := c.APIClient(t.Context()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.ResolveKV(t.Context(), "secret/data/app")
		}()
	}
	time.Sleep(20 * time.Millisecond)
	release()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := v.sent("GET sys/internal/ui/mounts/"); n != 1 {
		t.Fatalf("%d mount look-ups for 10 concurrent callers, want 1", n)
	}
}

func TestReadKV(t *testing.T) {
	cases := []struct {
		name        string
		loc         Location
		stored      *kv2Entry
		want        string
		wantVersion int
		wantOwner   string
		wantErr     string
	}{
		{name: "should read a KV v2 secret with its version and owner", loc: v2App,
			stored: &kv2Entry{data: map[string]any{"k": "v2"}, version: 4, custom: OwnerMetadata(me)},
			want:   "v2", wantVersion: 4, wantOwner: me.Name},
		{name: "should read a KV v1 secret", loc: v1App, want: "v1"},
		{name: "should report a missing KV v2 secret as not found", loc: Location{Mount: "secret", Version: 2, Path: "none"},
			wantErr: `not found (path "secret/data/none")`},
		{name: "should report a missing KV v1 secret as not found", loc: Location{Mount: "kv1", Version: 1, Path: "none"},
			wantErr: `not found (path "kv1/none")`},
		{name: "should report a deleted latest KV v2 version as not found, never as empty data", loc: v2App,
			stored:  &kv2Entry{version: 2, custom: OwnerMetadata(me)},
			wantErr: `not found (path "secret/data/app"): the latest version is deleted or destroyed`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			v.kv1["kv1/app"] = map[string]any{"k": "v1"}
			if tc.stored != nil {
				v.kv2["secret/app"] = tc.stored
			}
			c, _ := newTestClient(t, v)
			got, err := c.ReadKV(t.Context(), tc.loc)
			if tc.wantErr != "" {
				if !IsCategory(err, CategoryNotFound) || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Data["k"] != tc.want || got.Version != tc.wantVersion {
				t.Fatalf("read %+v, %v; want %s at version %d", got, err, tc.want, tc.wantVersion)
			}
			if owner, _ := got.CustomMetadata[MetaOwner].(string); owner != tc.wantOwner {
				t.Fatalf("owner = %q, want %q", owner, tc.wantOwner)
			}
		})
	}
}
