package vault_test

import (
	"reflect"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// after is what every write of these tests writes.
func after() map[string]any { return map[string]any{"k": "after"} }

type writeContractCase struct {
	name  string
	path  string
	owner vault.Owner // of what is stored before
	value string      // stored before
	exp   vault.Expect
	// wantErr: the write is refused and what was stored is kept.
	wantErr     vault.Category
	wantVersion int // returned and stored (0 on KV v1)
}

func TestContractWriteOwned(t *testing.T) {
	written := func(v int) vault.Expect { return vault.Expect{Claimed: true, Written: true, Version: v} }
	claimed := func(v int) vault.Expect { return vault.Expect{Claimed: true, Version: v} }
	cases := []writeContractCase{
		{"should create and claim an empty KV v2 path", "secret/data/app", nothing, "", vault.Expect{}, "", 1},
		{"should update its own KV v2 secret at the written version", "secret/data/app", me, "before", written(1), "", 2},
		{"should update its own KV v2 secret whose written version is stale", "secret/data/app", me, "before", written(5), "", 2},
		{"should update its own KV v2 secret the record does not list", "secret/data/app", me, "before", vault.Expect{}, "", 2},
		{"should update its own KV v2 secret written without a known version", "secret/data/app", me, "before", written(0), "", 2},
		{"should update its own KV v2 secret the record only claims", "secret/data/app", me, "before", claimed(1), "", 2},
		{"should create a written KV v2 secret deleted in Vault", "secret/data/app", nothing, "", written(1), "", 1},
		{"should create a claimed KV v2 secret never written", "secret/data/app", nothing, "", claimed(1), "", 1},
		{"should restamp its own KV v2 secret written without an owner UID", "secret/data/app", vault.Owner{Name: me.Name}, "before", vault.Expect{}, "", 2},
		{"should recognise its own KV v2 create whose stamp was lost by its content", "secret/data/app", unowned, "after", claimed(0), "", 2},
		{"should recognise its own KV v2 create whose stamp was lost at the claimed version", "secret/data/app", unowned, "after", claimed(1), "", 2},
		{"should refuse a KV v2 secret of another owner", "secret/data/app", other, "before", vault.Expect{}, vault.CategoryConflict, 1},
		{"should refuse a KV v2 secret of another owner at the version a claim recorded", "secret/data/app", other, "before", claimed(1), vault.CategoryConflict, 1},
		{"should refuse a KV v2 secret of a namesake that did not release it", "secret/data/app", namesake, "before", vault.Expect{}, vault.CategoryConflict, 1},
		{"should refuse KV v2 data without an owner", "secret/data/app", unowned, "before", vault.Expect{}, vault.CategoryConflict, 1},
		{"should refuse foreign KV v2 data without an owner even if it holds the same data", "secret/data/app", unowned, "after", vault.Expect{}, vault.CategoryConflict, 1},
		{"should refuse KV v2 data without an owner the record claims if its content differs", "secret/data/app", unowned, "before", claimed(1), vault.CategoryConflict, 1},
		{"should write an empty KV v1 path", "kv1/app", nothing, "", vault.Expect{}, "", 0},
		{"should refuse a KV v1 secret the record does not list", "kv1/app", unowned, "before", vault.Expect{}, vault.CategoryConflict, 0},
		{"should refuse a KV v1 secret the record only claims", "kv1/app", unowned, "before", claimed(0), vault.CategoryConflict, 0},
		{"should rewrite a KV v1 secret the record claims holding exactly the data", "kv1/app", unowned, "after", claimed(0), "", 0},
		{"should overwrite a KV v1 secret the record says it wrote", "kv1/app", unowned, "before", written(0), "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { eachBackend(t, tc.run) })
	}
}

func (tc writeContractCase) run(t *testing.T, b backend) {
	loc := seed(t, b, tc.path, tc.owner, tc.value)
	v, err := b.WriteOwned(t.Context(), loc, after(), me, tc.exp)
	if vault.CategoryOf(err) != tc.wantErr || err == nil && v != tc.wantVersion {
		t.Fatalf("WriteOwned = %d, %v; want %d, %q", v, err, tc.wantVersion, tc.wantErr)
	}
	got, err := b.ReadKV(t.Context(), loc)
	want := map[bool]string{true: tc.value, false: "after"}[tc.wantErr != ""]
	// (The fake gives KV v1 reads a version; nothing reads it.)
	if err != nil || got.Data["k"] != want || loc.Version == 2 && got.Version != tc.wantVersion {
		t.Fatalf("ReadKV = %+v, %v; want %s at version %d", got, err, want, tc.wantVersion)
	}
	if loc.Version == 2 && tc.wantErr == "" && !reflect.DeepEqual(got.CustomMetadata, vault.OwnerMetadata(me)) {
		t.Fatalf("owner metadata = %v, want %v", got.CustomMetadata, vault.OwnerMetadata(me))
	}
}

func TestContractDeleteOwned(t *testing.T) {
	cases := []struct {
		name     string
		path     string
		owner    vault.Owner
		wantErr  vault.Category
		wantGone bool
	}{
		{"should delete its own KV v2 secret", "secret/data/app", me, "", true},
		{"should keep a KV v2 secret of another owner", "secret/data/app", other, vault.CategoryConflict, false},
		{"should keep a KV v2 secret of a namesake", "secret/data/app", namesake, vault.CategoryConflict, false},
		{"should keep KV v2 data without an owner", "secret/data/app", unowned, vault.CategoryConflict, false},
		{"should accept a KV v2 secret that is already gone", "secret/data/app", nothing, "", true},
		{"should delete a KV v1 secret", "kv1/app", unowned, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				loc := seed(t, b, tc.path, tc.owner, "v")
				if err := b.DeleteOwned(t.Context(), loc, me); vault.CategoryOf(err) != tc.wantErr {
					t.Fatalf("DeleteOwned = %v, want %q", err, tc.wantErr)
				}
				_, err := b.ReadKV(t.Context(), loc)
				if gone := vault.IsCategory(err, vault.CategoryNotFound); gone != tc.wantGone {
					t.Fatalf("after DeleteOwned: ReadKV = %v, want gone: %v", err, tc.wantGone)
				}
			})
		})
	}
}

func TestContractHolds(t *testing.T) {
	written := func(v int) vault.Expect { return vault.Expect{Claimed: true, Written: true, Version: v} }
	claimed := vault.Expect{Claimed: true}
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		v2 := seed(t, b, "secret/data/app", nothing, "")
		v1 := seed(t, b, "kv1/app", nothing, "")
		foreign := seed(t, b, "secret/data/foreign", unowned, "after")
		version, err := b.WriteOwned(ctx, v2, after(), me, vault.Expect{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.WriteOwned(ctx, v1, after(), me, vault.Expect{}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			what  string
			loc   vault.Location
			owner vault.Owner
			exp   vault.Expect
			data  map[string]any
			want  bool
		}{
			{"its own KV v2 secret at the written version", v2, me, written(version), after(), true},
			{"a KV v2 secret at another version", v2, me, written(version + 1), after(), false},
			{"its own KV v2 secret the record only claims, holding the data", v2, me, claimed, after(), true},
			{"its own KV v2 secret the record only claims, holding other data", v2, me, claimed, map[string]any{"k": "x"}, false},
			{"a KV v2 secret of another owner", v2, other, written(version), after(), false},
			{"unowned KV v2 data at the written version", foreign, me, written(1), after(), false},
			{"unowned KV v2 data holding the data at a claimed version", foreign, me, vault.Expect{Claimed: true, Version: 1}, after(), false},
			{"a KV v2 secret that is gone", v2.Child("none"), me, written(1), after(), false},
			{"a KV v1 secret holding the data", v1, me, written(0), after(), true},
			{"a KV v1 secret holding other data", v1, me, written(0), map[string]any{"k": "x"}, false},
			{"a KV v1 secret that is gone", v1.Child("none"), me, written(0), after(), false},
		}
		for _, tc := range cases {
			if held, err := b.Holds(ctx, tc.loc, tc.owner, tc.exp, tc.data); held != tc.want || err != nil {
				t.Errorf("Holds(%s) = %v, %v; want %v", tc.what, held, err, tc.want)
			}
		}
	})
}

func TestContractReleaseLetsANamesakeTakeOver(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		loc := seed(t, b, "secret/data/app", namesake, "before")
		theirs := seed(t, b, "secret/data/theirs", other, "before")
		for _, l := range []vault.Location{theirs, seed(t, b, "secret/data/gone", nothing, ""), seed(t, b, "kv1/app", unowned, "v")} {
			if err := b.Release(ctx, l, me); err != nil {
				t.Fatalf("Release(%s) of what is not its own = %v, want nothing done", l, err)
			}
		}
		if _, err := b.WriteOwned(ctx, theirs, after(), me, vault.Expect{}); !vault.IsCategory(err, vault.CategoryConflict) {
			t.Fatalf("write after releasing another's secret = %v, want a conflict", err)
		}
		if err := b.Release(ctx, loc, namesake); err != nil {
			t.Fatal(err)
		}
		got, _ := b.ReadKV(ctx, loc)
		if got.CustomMetadata[vault.MetaReleased] != "true" || got.CustomMetadata[vault.MetaOwnerUID] != namesake.UID {
			t.Fatalf("metadata after Release = %v", got.CustomMetadata)
		}
		if _, err := b.WriteOwned(ctx, loc, after(), me, vault.Expect{}); err != nil {
			t.Fatalf("write by the namesake after the release = %v", err)
		}
		if got, _ := b.ReadKV(ctx, loc); !reflect.DeepEqual(got.CustomMetadata, vault.OwnerMetadata(me)) || got.Data["k"] != "after" {
			t.Fatalf("after the take-over: %+v", got)
		}
	})
}

func TestContractVerifyLocation(t *testing.T) {
	cases := []struct {
		name    string
		loc     vault.Location
		wantErr vault.Category
	}{
		{"should accept a KV v2 location", vault.Location{Mount: "secret", Version: 2, Path: "app"}, ""},
		{"should accept a KV v1 location", vault.Location{Mount: "kv1", Version: 1, Path: "app"}, ""},
		{"should refuse a KV v2 location recorded as KV v1", vault.Location{Mount: "secret", Version: 1, Path: "app"}, vault.CategoryInvalidPath},
		{"should refuse a mount the path is not served by", vault.Location{Mount: "secret/team", Version: 2, Path: "app"}, vault.CategoryInvalidPath},
		{"should refuse an unmounted location", vault.Location{Mount: "nowhere", Version: 2, Path: "app"}, vault.CategoryInvalidPath},
		{"should refuse a forged location", vault.Location{Mount: "secret", Version: 2, Path: "a/../../sys"}, vault.CategoryInvalidPath},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				if err := b.VerifyLocation(t.Context(), tc.loc); vault.CategoryOf(err) != tc.wantErr {
					t.Fatalf("VerifyLocation = %v, want %q", err, tc.wantErr)
				}
			})
		})
	}
}
