package vault

import (
	"reflect"
	"strings"
	"testing"
)

var (
	me    = Owner{Name: "prod/team/Deployment/web", UID: "uid-web"}
	other = Owner{Name: "prod/team/Deployment/api", UID: "uid-api"}
	// namesake is an earlier object of me's name (deleted and re-created).
	namesake = Owner{Name: me.Name, UID: "uid-web-before"}
)

var (
	v2App = Location{Mount: "secret", Version: 2, Path: "app"}
	v1App = Location{Mount: "kv1", Version: 1, Path: "app"}
)

// newData is what every WriteOwned case writes.
func newData() map[string]any { return map[string]any{"k": "new"} }

// released is owner's metadata marked as left behind on purpose.
func released(owner Owner) map[string]any {
	md := OwnerMetadata(owner)
	md[MetaReleased] = "true"
	return md
}

// kv2WriteCase is one WriteOwned of newData() at secret/data/app by me.
type kv2WriteCase struct {
	name     string
	exp      Expect
	existing *kv2Entry
	// concurrent: another writer adds a version just before the last data write.
	concurrent bool
	wantErr    string
	// wantSent are the requests to secret/, in order, data writes with their check-and-set.
	wantSent []string
	// wantVersion is the version stored afterwards (returned too when there is no error).
	wantVersion int
	// wantStored is the data stored afterwards (newData() when nil and no error).
	wantStored map[string]any
}

func TestWriteOwnedKVv2(t *testing.T) {
	mine := func(v int) *kv2Entry {
		return &kv2Entry{data: map[string]any{"k": "old"}, version: v, custom: OwnerMetadata(me)}
	}
	cases := []kv2WriteCase{
		{name: "should create a new secret with check-and-set 0, then stamp its owner, without a read",
			wantSent:    []string{"PUT secret/data/app cas=0", "PUT secret/metadata/app"},
			wantVersion: 1},
		{name: "should update a written secret with check-and-set at the recorded version, without a read",
			exp: Expect{Claimed: true, Written: true, Version: 3}, existing: mine(3),
			wantSent:    []string{"PUT secret/data/app cas=3"},
			wantVersion: 4},
		{name: "should read the metadata when the written version is not the current one, then write at the version seen",
			exp: Expect{Claimed: true, Written: true, Version: 3}, existing: mine(5),
			wantSent:    []string{"PUT secret/data/app cas=3", "GET secret/metadata/app", "PUT secret/data/app cas=5"},
			wantVersion: 6},
		{name: "should write its own secret the record does not list (a lost record) at the version seen",
			existing:    mine(2),
			wantSent:    []string{"PUT secret/data/app cas=0", "GET secret/metadata/app", "PUT secret/data/app cas=2"},
			wantVersion: 3},
		{name: "should read the metadata first for a written location without a version",
			exp: Expect{Claimed: true, Written: true}, existing: mine(2),
			wantSent:    []string{"GET secret/metadata/app", "PUT secret/data/app cas=2"},
			wantVersion: 3},
		{name: "should create a location only claimed with check-and-set 0, and find its own secret by the metadata",
			exp: Expect{Claimed: true}, existing: mine(2),
			wantSent:    []string{"PUT secret/data/app cas=0", "GET secret/metadata/app", "PUT secret/data/app cas=2"},
			wantVersion: 3},
		{name: "should read the metadata first for a location an earlier record listed, not try a create",
			exp: Expect{Claimed: true, Listed: true}, existing: mine(2),
			wantSent:    []string{"GET secret/metadata/app", "PUT secret/data/app cas=2"},
			wantVersion: 3},
		{name: "should create a listed location that is gone, with check-and-set 0",
			exp:         Expect{Claimed: true, Listed: true},
			wantSent:    []string{"GET secret/metadata/app", "PUT secret/data/app cas=0", "PUT secret/metadata/app"},
			wantVersion: 1},
		{name: "should refuse another object's secret at a listed location",
			exp: Expect{Claimed: true, Listed: true}, existing: &kv2Entry{data: map[string]any{"k": "theirs"}, version: 2, custom: OwnerMetadata(other)},
			wantSent: []string{"GET secret/metadata/app"}, wantErr: "belongs to", wantVersion: 2, wantStored: map[string]any{"k": "theirs"}},
		{name: "should not write at the version of a location only claimed (an intent is no write)",
			exp: Expect{Claimed: true, Version: 2}, existing: mine(2),
			wantSent:    []string{"PUT secret/data/app cas=0", "GET secret/metadata/app", "PUT secret/data/app cas=2"},
			wantVersion: 3},
		{name: "should refuse another object's secret at the version a claim recorded, instead of writing at it",
			exp:      Expect{Claimed: true, Version: 1},
			existing: &kv2Entry{data: map[string]any{"k": "theirs"}, version: 1, custom: OwnerMetadata(other)},
			wantErr:  "it belongs to prod/team/Deployment/api",
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app"}, wantVersion: 1,
			wantStored: map[string]any{"k": "theirs"}},
		{name: "should create a written secret that was deleted in Vault",
			exp:         Expect{Claimed: true, Written: true, Version: 2},
			wantSent:    []string{"PUT secret/data/app cas=2", "GET secret/metadata/app", "PUT secret/data/app cas=0", "PUT secret/metadata/app"},
			wantVersion: 1},
		{name: "should restamp its own secret written by an older version (no owner UID) before writing",
			existing: &kv2Entry{data: map[string]any{"k": "old"}, version: 2, custom: OwnerMetadata(Owner{Name: me.Name})},
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app", "PUT secret/metadata/app",
				"PUT secret/data/app cas=2"},
			wantVersion: 3},
		{name: "should take over a secret its namesake released on deletion, restamped",
			existing: &kv2Entry{data: map[string]any{"k": "old"}, version: 2, custom: released(namesake)},
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app", "PUT secret/metadata/app",
				"PUT secret/data/app cas=2"},
			wantVersion: 3},
		{name: "should recognise its own create whose owner stamp was lost by its content, and stamp it",
			exp: Expect{Claimed: true, Version: 1}, existing: &kv2Entry{data: newData(), version: 1},
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app", "GET secret/data/app",
				"PUT secret/metadata/app", "PUT secret/data/app cas=1"},
			wantVersion: 2},
		{name: "should refuse an unowned secret the record claims whose content is not what it writes",
			exp: Expect{Claimed: true}, existing: &kv2Entry{data: map[string]any{"k": "theirs"}, version: 1},
			wantErr:  "a secret exists there that this operator did not write",
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app", "GET secret/data/app"}, wantVersion: 1,
			wantStored: map[string]any{"k": "theirs"}},
		{name: "should refuse an unowned secret the record claims past its first version without reading its data",
			exp: Expect{Claimed: true}, existing: &kv2Entry{data: newData(), version: 2},
			wantErr:  "a secret exists there that this operator did not write",
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app"}, wantVersion: 2, wantStored: newData()},
		{name: "should refuse a foreign unowned secret, even one holding the same data",
			existing: &kv2Entry{data: newData(), version: 1},
			wantErr:  "a secret exists there that this operator did not write (no vault-sync.io/owner custom metadata)",
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app"}, wantVersion: 1, wantStored: newData()},
		{name: "should refuse a secret of another object",
			existing: &kv2Entry{data: map[string]any{"k": "theirs"}, version: 3, custom: OwnerMetadata(other)},
			wantErr:  `conflict (path "secret/data/app"): it belongs to prod/team/Deployment/api; two objects cannot sync to one path`,
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app"}, wantVersion: 3,
			wantStored: map[string]any{"k": "theirs"}},
		{name: "should refuse a secret of a namesake that did not release it",
			existing: &kv2Entry{data: map[string]any{"k": "theirs"}, version: 3, custom: OwnerMetadata(namesake)},
			wantErr:  "it belongs to another prod/team/Deployment/web of the same name (uid uid-web-before) that did not release it",
			wantSent: []string{"PUT secret/data/app cas=0", "GET secret/metadata/app"}, wantVersion: 3,
			wantStored: map[string]any{"k": "theirs"}},
		{name: "should refuse a written location another object has taken over since",
			exp:      Expect{Claimed: true, Written: true, Version: 3},
			existing: &kv2Entry{data: map[string]any{"k": "theirs"}, version: 4, custom: OwnerMetadata(other)},
			wantErr:  "it belongs to prod/team/Deployment/api",
			wantSent: []string{"PUT secret/data/app cas=3", "GET secret/metadata/app"}, wantVersion: 4,
			wantStored: map[string]any{"k": "theirs"}},
		{name: "should report a concurrent writer as a conflict instead of overwriting it",
			exp: Expect{Claimed: true, Written: true, Version: 3}, existing: mine(5), concurrent: true,
			wantErr:  "it was changed concurrently by another writer (check-and-set failed)",
			wantSent: []string{"PUT secret/data/app cas=3", "GET secret/metadata/app", "PUT secret/data/app cas=5"},
			// the concurrent writer's version, holding what the operator found
			wantVersion: 6, wantStored: map[string]any{"k": "old"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

func (tc kv2WriteCase) run(t *testing.T) {
	v := newVaultServer(t)
	if tc.existing != nil {
		v.kv2["secret/app"] = tc.existing
	}
	if tc.concurrent {
		v.before = func(method, p string) {
			if method == "PUT" && p == "secret/data/app" && v.sent("GET secret/metadata/app") > 0 {
				v.with(func() { v.kv2["secret/app"].version++ })
			}
		}
	}
	c, _ := newTestClient(t, v)

	got, err := c.WriteOwned(t.Context(), v2App, newData(), me, tc.exp)
	if tc.wantErr == "" && (err != nil || got != tc.wantVersion) ||
		tc.wantErr != "" && (!IsCategory(err, CategoryConflict) || !strings.Contains(err.Error(), tc.wantErr)) {
		t.Fatalf("WriteOwned = %d, %v; want %d, %q", got, err, tc.wantVersion, tc.wantErr)
	}
	if sent := v.requestsTo("secret/"); !reflect.DeepEqual(sent, tc.wantSent) {
		t.Fatalf("sent %v, want %v", sent, tc.wantSent)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	e := v.kv2["secret/app"]
	want := tc.wantStored
	if want == nil {
		want = newData()
	}
	if e.version != tc.wantVersion || !reflect.DeepEqual(e.data, want) {
		t.Fatalf("stored %v at version %d, want %v at %d", e.data, e.version, want, tc.wantVersion)
	}
	if tc.wantErr == "" && !reflect.DeepEqual(e.custom, OwnerMetadata(me)) {
		t.Fatalf("metadata %v, want exactly me's (name, UID, managed-by; not released)", e.custom)
	}
}

func TestWriteOwnedRefusesBeforeSendingAnything(t *testing.T) {
	cases := []struct {
		name    string
		loc     Location
		data    map[string]any
		wantErr Category
		detail  string
	}{
		{"should refuse data over the request limit", v2App, map[string]any{"k": strings.Repeat("x", 100)},
			CategoryTooLarge, "more than the limit of 100 bytes"},
		{"should refuse a location with a '..' segment", Location{Mount: "secret", Version: 2, Path: "a/../../sys"},
			newData(), CategoryInvalidPath, "'..' segments are not allowed"},
		{"should refuse a location of an unknown KV version", Location{Mount: "secret", Version: 3, Path: "app"},
			newData(), CategoryInvalidPath, "invalid KV version 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			cfg := testConfig(v)
			cfg.MaxRequestSize = 100
			c := newTestPool(t, cfg).Operator()

			_, err := c.WriteOwned(t.Context(), tc.loc, tc.data, me, Expect{})
			if !IsCategory(err, tc.wantErr) || !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("err = %v, want %s naming %q", err, tc.wantErr, tc.detail)
			}
			if got := v.requestsTo(""); len(got) != 0 {
				t.Fatalf("sent %v for a refused write", got)
			}
		})
	}
}

func TestCheckSizeAcceptsUpToTheLimit(t *testing.T) {
	data := map[string]any{"k": "v"}
	size := int64(len(`{"data":{"k":"v"},"options":{"cas":0}}`))
	cases := []struct {
		name  string
		limit int64
		ok    bool
	}{
		{"should accept a request of exactly the limit", size, true},
		{"should refuse a request one byte over the limit", size - 1, false},
		{"should not check when the limit is 0", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := (&KV{maxRequest: tc.limit}).checkSize(v2App, data)
			if (err == nil) != tc.ok {
				t.Fatalf("checkSize with limit %d = %v", tc.limit, err)
			}
		})
	}
}

func TestACreateWhoseStampFailedIsRecognisedByTheNextWrite(t *testing.T) {
	v := newVaultServer(t)
	v.denied["secret/metadata/app"] = true
	c, _ := newTestClient(t, v)

	if _, err := c.WriteOwned(t.Context(), v2App, newData(), me, Expect{}); !IsCategory(err, CategoryPermissionDenied) {
		t.Fatalf("create with the metadata write refused = %v, want the refusal", err)
	}
	v.with(func() {
		if e := v.kv2["secret/app"]; e == nil || e.version != 1 || e.custom != nil {
			t.Fatalf("after the failed stamp: %+v, want version 1 unstamped", e)
		}
		v.denied["secret/metadata/app"] = false
	})
	// The record claimed the location before the write; nothing confirms the write.
	version, err := c.WriteOwned(t.Context(), v2App, newData(), me, Expect{Claimed: true})
	if err != nil || version != 2 {
		t.Fatalf("next write = %d, %v; want version 2", version, err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if !reflect.DeepEqual(v.kv2["secret/app"].custom, OwnerMetadata(me)) {
		t.Fatalf("metadata = %v, want the owner stamped", v.kv2["secret/app"].custom)
	}
}
