package vault

import (
	"reflect"
	"strings"
	"testing"
)

func TestHolds(t *testing.T) {
	written := func(v int) Expect { return Expect{Claimed: true, Written: true, Version: v} }
	cases := []struct {
		name     string
		loc      Location
		exp      Expect
		existing *kv2Entry
		kv1      map[string]any
		// deniedMetadata, deniedData: Vault refuses the metadata, the data read.
		deniedMetadata, deniedData bool
		want                       bool
		wantErr                    Category
		wantSent                   []string
	}{
		{name: "should hold its own KV v2 secret at the written version, from the metadata alone", loc: v2App,
			exp: written(3), existing: &kv2Entry{data: map[string]any{"k": "changed"}, version: 3, custom: OwnerMetadata(me)},
			want: true, wantSent: []string{"GET secret/metadata/app"}},
		{name: "should not hold a KV v2 secret written since the written version", loc: v2App,
			exp: written(3), existing: &kv2Entry{data: newData(), version: 4, custom: OwnerMetadata(me)},
			wantSent: []string{"GET secret/metadata/app"}},
		{name: "should not hold a KV v2 secret of another object at the written version", loc: v2App,
			exp: written(3), existing: &kv2Entry{data: newData(), version: 3, custom: OwnerMetadata(other)},
			wantSent: []string{"GET secret/metadata/app"}},
		{name: "should not hold unowned KV v2 data at the written version", loc: v2App,
			exp: written(1), existing: &kv2Entry{data: newData(), version: 1},
			wantSent: []string{"GET secret/metadata/app"}},
		{name: "should not hold a written KV v2 secret that is gone", loc: v2App,
			exp: written(1), wantSent: []string{"GET secret/metadata/app"}},
		{name: "should report a failed metadata read", loc: v2App, deniedMetadata: true,
			exp: written(1), wantErr: CategoryPermissionDenied, wantSent: []string{"GET secret/metadata/app"}},
		{name: "should hold its own KV v2 secret the record only claims by its content", loc: v2App,
			exp: Expect{Claimed: true}, existing: &kv2Entry{data: newData(), version: 1, custom: OwnerMetadata(me)},
			want: true, wantSent: []string{"GET secret/data/app"}},
		{name: "should not hold its own KV v2 secret at a claimed version when its content differs (a claim is no write)", loc: v2App,
			exp: Expect{Claimed: true, Version: 1}, existing: &kv2Entry{data: map[string]any{"k": "old"}, version: 1, custom: OwnerMetadata(me)},
			wantSent: []string{"GET secret/data/app"}},
		{name: "should not hold unowned KV v2 data holding exactly the data (a record written before its data)", loc: v2App,
			exp: Expect{Claimed: true, Version: 1}, existing: &kv2Entry{data: newData(), version: 1},
			wantSent: []string{"GET secret/data/app"}},
		{name: "should not hold a claimed KV v2 secret that is gone", loc: v2App,
			exp: Expect{Claimed: true}, wantSent: []string{"GET secret/data/app"}},
		{name: "should report a failed data read", loc: v2App, deniedData: true,
			exp: Expect{Claimed: true}, wantErr: CategoryPermissionDenied, wantSent: []string{"GET secret/data/app"}},
		{name: "should hold a KV v1 secret holding exactly the data", loc: v1App, kv1: newData(), exp: written(0),
			want: true, wantSent: []string{"GET kv1/app"}},
		{name: "should not hold a KV v1 secret holding other data", loc: v1App, kv1: map[string]any{"k": "old"},
			wantSent: []string{"GET kv1/app"}},
		{name: "should not hold a KV v1 secret that is gone", loc: v1App, wantSent: []string{"GET kv1/app"}},
		{name: "should refuse an invalid location without asking Vault", loc: Location{Mount: "secret", Version: 2, Path: "./app"},
			wantErr: CategoryInvalidPath},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			if tc.existing != nil {
				v.kv2["secret/app"] = tc.existing
			}
			if tc.kv1 != nil {
				v.kv1["kv1/app"] = tc.kv1
			}
			v.denied["secret/metadata/app"] = tc.deniedMetadata
			v.denied["secret/data/app"] = tc.deniedData
			c, _ := newTestClient(t, v)

			held, err := c.Holds(t.Context(), tc.loc, me, tc.exp, newData())
			if held != tc.want || CategoryOf(err) != tc.wantErr {
				t.Fatalf("Holds = %v, %v; want %v, %q", held, err, tc.want, tc.wantErr)
			}
			if got := v.requestsTo(tc.loc.Mount + "/"); !reflect.DeepEqual(got, tc.wantSent) {
				t.Fatalf("sent %v, want %v", got, tc.wantSent)
			}
		})
	}
}

func TestVerifyLocation(t *testing.T) {
	cases := []struct {
		name       string
		loc        Location
		wantErr    Category
		wantDetail string
		wantSent   int // mount look-ups
	}{
		{name: "should accept a KV v2 location its mount serves", loc: v2App, wantSent: 1},
		{name: "should accept a KV v1 location its mount serves", loc: v1App, wantSent: 1},
		{name: "should refuse a KV v2 secret recorded as KV v1", loc: Location{Mount: "secret", Version: 1, Path: "app"},
			wantErr: CategoryInvalidPath, wantDetail: `does not match Vault's mount table (mount "secret/", KV version 2)`, wantSent: 1},
		{name: "should refuse a mount that is not the one serving the path", loc: Location{Mount: "secret/team", Version: 2, Path: "app"},
			wantErr: CategoryInvalidPath, wantDetail: `does not match Vault's mount table (mount "secret/"`, wantSent: 1},
		{name: "should refuse a location no KV engine serves", loc: Location{Mount: "database", Version: 2, Path: "creds/app"},
			wantErr: CategoryInvalidPath, wantDetail: "KV version 0", wantSent: 1},
		{name: "should refuse a location of an unmounted path", loc: Location{Mount: "nowhere", Version: 2, Path: "app"},
			wantErr: CategoryInvalidPath, wantDetail: "no secrets engine is mounted at this path", wantSent: 1},
		{name: "should refuse a forged location without asking Vault", loc: Location{Mount: "secret", Version: 2, Path: "data/../../sys/mounts"},
			wantErr: CategoryInvalidPath, wantDetail: "'..' segments are not allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			c, _ := newTestClient(t, v)
			err := c.VerifyLocation(t.Context(), tc.loc)
			if CategoryOf(err) != tc.wantErr || err != nil && !strings.Contains(err.Error(), tc.wantDetail) {
				t.Fatalf("VerifyLocation = %v, want %q: %s", err, tc.wantErr, tc.wantDetail)
			}
			if n := v.sent("GET sys/internal/ui/mounts/"); n != tc.wantSent {
				t.Fatalf("%d mount look-ups, want %d", n, tc.wantSent)
			}
		})
	}
}

func TestLocationValidate(t *testing.T) {
	cases := []struct {
		name    string
		loc     Location
		wantErr string
	}{
		{name: "should accept a KV v2 location", loc: v2App},
		{name: "should accept a KV v1 location below a nested mount", loc: Location{Mount: "team/kv", Version: 1, Path: "a/b"}},
		{name: "should refuse KV version 0", loc: Location{Mount: "secret", Path: "app"}, wantErr: "invalid KV version 0"},
		{name: "should refuse KV version 3", loc: Location{Mount: "secret", Version: 3, Path: "app"}, wantErr: "invalid KV version 3"},
		{name: "should refuse an empty mount", loc: Location{Version: 2, Path: "app"}, wantErr: "empty"},
		{name: "should refuse an empty path", loc: Location{Mount: "secret", Version: 2}, wantErr: "empty"},
		{name: "should refuse a '..' in the path", loc: Location{Mount: "secret", Version: 2, Path: "a/../../metadata/b"}, wantErr: "'..'"},
		{name: "should refuse a '.' in the mount", loc: Location{Mount: "./secret", Version: 2, Path: "app"}, wantErr: "'.'"},
		{name: "should refuse an empty segment", loc: Location{Mount: "secret", Version: 2, Path: "a//b"}, wantErr: "empty segment"},
		{name: "should refuse a leading '/'", loc: Location{Mount: "secret", Version: 2, Path: "/app"}, wantErr: "must not start with '/'"},
		{name: "should refuse a trailing '/' on the mount", loc: Location{Mount: "secret/", Version: 2, Path: "app"}, wantErr: "must not end with '/'"},
		{name: "should refuse a control character", loc: Location{Mount: "secret", Version: 2, Path: "a\x00"}, wantErr: "control characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.loc.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (!IsCategory(err, CategoryInvalidPath) || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Validate(%+v) = %v, want %q", tc.loc, err, tc.wantErr)
			}
		})
	}
}
