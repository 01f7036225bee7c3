package vault

import (
	"reflect"
	"strings"
	"testing"
)

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
		{name: "should leave a KV v2 secret of a namesake that did not release it alone", loc: v2App,
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 2, custom: OwnerMetadata(namesake)},
			wantErr:  CategoryConflict, wantSent: []string{"GET secret/metadata/app"}},
		{name: "should delete its own KV v2 secret written by an older version (no owner UID)", loc: v2App,
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 2, custom: OwnerMetadata(Owner{Name: me.Name})},
			wantSent: []string{"GET secret/metadata/app", "DELETE secret/metadata/app"}, wantGone: true},
		{name: "should refuse an invalid location without asking Vault", loc: Location{Mount: "secret", Version: 2, Path: "a//b"},
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 2, custom: OwnerMetadata(me)},
			wantErr:  CategoryInvalidPath},
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

func TestCheckOwner(t *testing.T) {
	cases := []struct {
		name        string
		custom      map[string]any
		wantRestamp bool
		wantErr     string
	}{
		{name: "should accept its own metadata as it is", custom: OwnerMetadata(me)},
		{name: "should restamp its own metadata written without a UID by an older version",
			custom: OwnerMetadata(Owner{Name: me.Name}), wantRestamp: true},
		{name: "should restamp its own secret it released before (the release mark goes)",
			custom: released(me), wantRestamp: true},
		{name: "should restamp a secret a namesake released on deletion",
			custom: released(namesake), wantRestamp: true},
		{name: "should refuse a secret of a namesake that did not release it",
			custom:  OwnerMetadata(namesake),
			wantErr: "it belongs to another prod/team/Deployment/web of the same name (uid uid-web-before) that did not release it"},
		{name: "should refuse a namesake's secret whose release mark is not \"true\"",
			custom:  map[string]any{MetaOwner: me.Name, MetaOwnerUID: namesake.UID, MetaReleased: "false"},
			wantErr: "of the same name (uid uid-web-before)"},
		{name: "should refuse a secret of another object, released or not",
			custom: released(other), wantErr: "it belongs to prod/team/Deployment/api; two objects cannot sync to one path"},
		{name: "should refuse a secret without owner metadata",
			custom: map[string]any{"team": "payments"}, wantErr: "a secret exists there that this operator did not write"},
		{name: "should refuse a secret without any custom metadata", wantErr: "did not write (no vault-sync.io/owner custom metadata)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			restamp, err := CheckOwner(v2App, tc.custom, me)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (!IsCategory(err, CategoryConflict) || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("CheckOwner = %v, want %q", err, tc.wantErr)
			}
			if restamp != tc.wantRestamp {
				t.Fatalf("restamp = %v, want %v", restamp, tc.wantRestamp)
			}
		})
	}
}

func TestRelease(t *testing.T) {
	cases := []struct {
		name       string
		loc        Location
		existing   *kv2Entry
		wantSent   []string
		wantCustom map[string]any
	}{
		{name: "should mark its own secret as released, keeping its owner and data", loc: v2App,
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 2, custom: OwnerMetadata(me)},
			wantSent: []string{"GET secret/metadata/app", "PUT secret/metadata/app"}, wantCustom: released(me)},
		{name: "should leave a secret of another object as it is", loc: v2App,
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 2, custom: OwnerMetadata(other)},
			wantSent: []string{"GET secret/metadata/app"}, wantCustom: OwnerMetadata(other)},
		{name: "should leave unowned data as it is", loc: v2App,
			existing: &kv2Entry{data: map[string]any{"k": "v"}, version: 1},
			wantSent: []string{"GET secret/metadata/app"}},
		{name: "should do nothing when the secret is gone", loc: v2App,
			wantSent: []string{"GET secret/metadata/app"}},
		{name: "should send nothing for KV v1 (no metadata to mark)", loc: v1App},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			if tc.existing != nil {
				v.kv2["secret/app"] = tc.existing
			}
			c, _ := newTestClient(t, v)

			if err := c.Release(t.Context(), tc.loc, me); err != nil {
				t.Fatalf("Release = %v", err)
			}
			if got := v.requestsTo(tc.loc.Mount + "/"); !reflect.DeepEqual(got, tc.wantSent) {
				t.Fatalf("sent %v, want %v", got, tc.wantSent)
			}
			v.mu.Lock()
			defer v.mu.Unlock()
			if e := v.kv2["secret/app"]; e != nil && (!reflect.DeepEqual(e.custom, tc.wantCustom) || e.data["k"] != "v") {
				t.Fatalf("stored %v with metadata %v, want the data kept with %v", e.data, e.custom, tc.wantCustom)
			}
		})
	}
}

func TestReleaseRefusesAnInvalidLocationWithoutSendingIt(t *testing.T) {
	v := newVaultServer(t)
	c, _ := newTestClient(t, v)
	err := c.Release(t.Context(), Location{Mount: "secret", Version: 2, Path: "../sys/x"}, me)
	if !IsCategory(err, CategoryInvalidPath) {
		t.Fatalf("Release = %v, want an invalid path", err)
	}
	if got := v.requestsTo(""); len(got) != 0 {
		t.Fatalf("sent %v", got)
	}
}

func TestReleasedSecretIsTakenOverByTheNextObjectOfTheSameName(t *testing.T) {
	v := newVaultServer(t)
	c, _ := newTestClient(t, v)
	ctx := t.Context()
	if _, err := c.WriteOwned(ctx, v2App, map[string]any{"k": "v1"}, namesake, Expect{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteOwned(ctx, v2App, newData(), me, Expect{}); !IsCategory(err, CategoryConflict) {
		t.Fatalf("write by the new object before the release = %v, want a conflict", err)
	}
	if err := c.Release(ctx, v2App, namesake); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteOwned(ctx, v2App, newData(), me, Expect{}); err != nil {
		t.Fatalf("write by the new object after the release = %v", err)
	}
	// The released object's record still says it wrote version 1 there.
	if _, err := c.WriteOwned(ctx, v2App, map[string]any{"k": "v3"}, namesake, Expect{Claimed: true, Written: true, Version: 1}); !IsCategory(err, CategoryConflict) {
		t.Fatalf("write by the object that released it = %v, want a conflict: it is the new object's now", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if e := v.kv2["secret/app"]; !reflect.DeepEqual(e.custom, OwnerMetadata(me)) || e.data["k"] != "new" {
		t.Fatalf("stored %v with metadata %v, want the new object's data and owner", e.data, e.custom)
	}
}

func TestOwnerMetadata(t *testing.T) {
	if got := NewOwner("prod", "team", "Deployment", "web", "uid-web"); got != me {
		t.Fatalf("NewOwner = %+v, want %+v", got, me)
	}
	if got := NewOwner("", "team", "VaultApp", "web", ""); got.Name != "/team/VaultApp/web" {
		t.Fatalf("NewOwner without a cluster = %+v", got)
	}
	want := map[string]any{MetaManagedBy: "vault-sync-operator", MetaOwner: me.Name, MetaOwnerUID: "uid-web"}
	if got := OwnerMetadata(me); !reflect.DeepEqual(got, want) {
		t.Fatalf("OwnerMetadata = %v, want %v", got, want)
	}
	// Vault refuses an empty custom metadata value: an unknown UID is left out.
	if got := OwnerMetadata(Owner{Name: me.Name}); len(got) != 2 || got[MetaOwnerUID] != nil {
		t.Fatalf("OwnerMetadata without a UID = %v", got)
	}
}
