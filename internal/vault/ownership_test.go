package vault

import (
	"reflect"
	"strings"
	"testing"
)

const (
	me    = Owner("prod/team/Deployment/web")
	other = Owner("prod/team/Deployment/api")
)

var (
	v2App = Location{Mount: "secret", Version: 2, Path: "app"}
	v1App = Location{Mount: "kv1", Version: 1, Path: "app"}
)

// kv2WriteCase is one WriteOwned of {"k": "new"} at secret/data/app by me.
type kv2WriteCase struct {
	name     string
	existing *kv2Entry
	// concurrent: another writer adds a version between the metadata read and the data write.
	concurrent  bool
	wantErr     string
	wantSent    []string
	wantVersion int
}

func TestWriteOwnedKVv2(t *testing.T) {
	cases := []kv2WriteCase{
		{name: "should claim the metadata before writing data when nothing is stored",
			wantSent:    []string{"GET secret/metadata/app", "PUT secret/metadata/app", "PUT secret/data/app"},
			wantVersion: 1},
		{name: "should write with check-and-set at the current version when the owner matches",
			existing:    &kv2Entry{data: map[string]any{"k": "old"}, version: 3, custom: OwnerMetadata(me)},
			wantSent:    []string{"GET secret/metadata/app", "PUT secret/data/app"},
			wantVersion: 4},
		{name: "should fill an entry claimed by an earlier attempt that wrote no data",
			existing:    &kv2Entry{custom: OwnerMetadata(me)},
			wantSent:    []string{"GET secret/metadata/app", "PUT secret/data/app"},
			wantVersion: 1},
		{name: "should refuse a path that belongs to another object",
			existing: &kv2Entry{data: map[string]any{"k": "theirs"}, version: 3, custom: OwnerMetadata(other)},
			wantErr:  `conflict (path "secret/data/app"): it belongs to prod/team/Deployment/api; two objects cannot sync to one path`,
			wantSent: []string{"GET secret/metadata/app"}, wantVersion: 3},
		{name: "should refuse data this operator did not write",
			existing: &kv2Entry{data: map[string]any{"k": "theirs"}, version: 1},
			wantErr:  "a secret exists there that this operator did not write (no vault-sync.io/owner custom metadata)",
			wantSent: []string{"GET secret/metadata/app"}, wantVersion: 1},
		{name: "should report a concurrent writer as a conflict instead of overwriting it",
			existing:   &kv2Entry{data: map[string]any{"k": "old"}, version: 3, custom: OwnerMetadata(me)},
			concurrent: true,
			wantErr:    "it was changed concurrently by another writer (check-and-set failed)",
			wantSent:   []string{"GET secret/metadata/app", "PUT secret/data/app"}, wantVersion: 4},
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
			if method == "PUT" && p == "secret/data/app" {
				v.with(func() { v.kv2["secret/app"].version++ })
			}
		}
	}
	c, _ := newTestClient(t, v)
	data := map[string]any{"k": "new"}

	err := c.WriteOwned(t.Context(), v2App, data, me, false)
	if tc.wantErr == "" && err != nil || tc.wantErr != "" && (!IsCategory(err, CategoryConflict) || !strings.Contains(err.Error(), tc.wantErr)) {
		t.Fatalf("err = %v, want %q", err, tc.wantErr)
	}
	if got := v.requestsTo("secret/"); !reflect.DeepEqual(got, tc.wantSent) {
		t.Fatalf("sent %v, want %v", got, tc.wantSent)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	e := v.kv2["secret/app"]
	if e.version != tc.wantVersion {
		t.Fatalf("version = %d, want %d", e.version, tc.wantVersion)
	}
	if tc.wantErr != "" {
		return
	}
	if e.data["k"] != "new" || e.custom[MetaOwner] != string(me) || e.custom[MetaManagedBy] != "vault-sync-operator" {
		t.Fatalf("stored %v with metadata %v", e.data, e.custom)
	}
	if cas := v.bodies["PUT secret/data/app"]["options"].(map[string]any)["cas"]; cas != float64(tc.wantVersion-1) {
		t.Fatalf("check-and-set = %v, want %d", cas, tc.wantVersion-1)
	}
}

func TestWriteOwnedKVv1(t *testing.T) {
	cases := []struct {
		name     string
		existing map[string]any
		denied   bool
		known    bool
		wantErr  Category
		wantSent []string
	}{
		{name: "should write a secret the record does not list when nothing is there",
			wantSent: []string{"GET kv1/app", "PUT kv1/app"}},
		{name: "should refuse a secret the record does not list", existing: map[string]any{"k": "theirs"},
			wantErr: CategoryConflict, wantSent: []string{"GET kv1/app"}},
		{name: "should overwrite a secret the record lists without reading it", existing: map[string]any{"k": "old"}, known: true,
			wantSent: []string{"PUT kv1/app"}},
		{name: "should return a failed read instead of writing", denied: true,
			wantErr: CategoryPermissionDenied, wantSent: []string{"GET kv1/app"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			if tc.existing != nil {
				v.kv1["kv1/app"] = tc.existing
			}
			v.denied["kv1/app"] = tc.denied
			c, _ := newTestClient(t, v)

			err := c.WriteOwned(t.Context(), v1App, map[string]any{"k": "new"}, me, tc.known)
			if CategoryOf(err) != tc.wantErr {
				t.Fatalf("err = %v, want category %q", err, tc.wantErr)
			}
			if got := v.requestsTo("kv1/"); !reflect.DeepEqual(got, tc.wantSent) {
				t.Fatalf("sent %v, want %v", got, tc.wantSent)
			}
			if tc.wantErr == "" && v.kv1["kv1/app"]["k"] != "new" {
				t.Fatalf("stored %v", v.kv1["kv1/app"])
			}
		})
	}
}

func TestWriteOwnedRefusesDataOverTheRequestLimitBeforeSendingIt(t *testing.T) {
	v := newVaultServer(t)
	cfg := testConfig(v)
	cfg.MaxRequestSize = 100
	c := newTestPool(t, cfg).Operator()

	err := c.WriteOwned(t.Context(), v2App, map[string]any{"k": strings.Repeat("x", 100)}, me, false)
	if !IsCategory(err, CategoryTooLarge) || !strings.Contains(err.Error(), "more than the limit of 100 bytes") {
		t.Fatalf("err = %v, want too large naming the limit", err)
	}
	if got := v.requestsTo(""); len(got) != 0 {
		t.Fatalf("sent %v for refused data", got)
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

func TestDeleteOwned(t *testing.T) {
	cases := []struct {
		name     string
		loc      Location
		existing *kv2Entry
		wantErr  Category
		wantSent []string
		wantGone bool
	}{
		{name: "should delete the metadata and every version of an owned KV v2 secret", loc: v2App,
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 2, custom: OwnerMetadata(me)},
			wantSent: []string{"GET secret/metadata/app", "DELETE secret/metadata/app"}, wantGone: true},
		{name: "should leave a KV v2 secret of another owner alone", loc: v2App,
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 2, custom: OwnerMetadata(other)},
			wantErr:  CategoryConflict, wantSent: []string{"GET secret/metadata/app"}},
		{name: "should leave unowned KV v2 data alone", loc: v2App,
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 1},
			wantErr:  CategoryConflict, wantSent: []string{"GET secret/metadata/app"}},
		{name: "should do nothing when the KV v2 secret is already gone", loc: v2App,
			wantSent: []string{"GET secret/metadata/app"}, wantGone: true},
		{name: "should delete a KV v1 secret the record lists", loc: v1App,
			wantSent: []string{"DELETE kv1/app"}, wantGone: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			if tc.existing != nil {
				v.kv2["secret/app"] = tc.existing
			}
			v.kv1["kv1/app"] = map[string]any{"k": "v"}
			c, _ := newTestClient(t, v)

			err := c.DeleteOwned(t.Context(), tc.loc, me)
			if CategoryOf(err) != tc.wantErr {
				t.Fatalf("err = %v, want category %q", err, tc.wantErr)
			}
			if got := v.requestsTo(tc.loc.Mount + "/"); !reflect.DeepEqual(got, tc.wantSent) {
				t.Fatalf("sent %v, want %v", got, tc.wantSent)
			}
			_, v1 := v.kv1["kv1/app"]
			_, v2 := v.kv2["secret/app"]
			if gone := !map[int]bool{1: v1, 2: v2}[tc.loc.Version]; gone != tc.wantGone {
				t.Fatalf("secret gone = %v, want %v", gone, tc.wantGone)
			}
		})
	}
}

func TestOwnerNamesClusterNamespaceKindAndName(t *testing.T) {
	if got := NewOwner("prod", "team", "Deployment", "web"); got != me {
		t.Fatalf("NewOwner = %q, want %q", got, me)
	}
	if got := NewOwner("", "team", "VaultApp", "web"); got != "/team/VaultApp/web" {
		t.Fatalf("NewOwner without a cluster = %q", got)
	}
}
