package vault

import (
	"reflect"
	"testing"
)

func TestWriteOwnedKVv1(t *testing.T) {
	cases := []struct {
		name     string
		existing map[string]any
		denied   bool
		exp      Expect
		wantErr  Category
		wantSent []string
	}{
		{name: "should write a secret the record does not list when nothing is there",
			wantSent: []string{"GET kv1/app", "PUT kv1/app"}},
		{name: "should refuse a secret the record does not list", existing: map[string]any{"k": "theirs"},
			wantErr: CategoryConflict, wantSent: []string{"GET kv1/app"}},
		{name: "should refuse a secret the record only claims when it holds other data", existing: map[string]any{"k": "theirs"},
			exp: Expect{Claimed: true}, wantErr: CategoryConflict, wantSent: []string{"GET kv1/app"}},
		{name: "should rewrite a secret the record claims that holds exactly the data (its own unconfirmed write)",
			existing: newData(), exp: Expect{Claimed: true}, wantSent: []string{"GET kv1/app", "PUT kv1/app"}},
		{name: "should refuse a secret holding exactly the data that the record does not list", existing: newData(),
			wantErr: CategoryConflict, wantSent: []string{"GET kv1/app"}},
		{name: "should overwrite a secret the record says it wrote without reading it", existing: map[string]any{"k": "old"},
			exp: Expect{Claimed: true, Written: true}, wantSent: []string{"PUT kv1/app"}},
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

			// A version in Expect means nothing on KV v1.
			exp := tc.exp
			exp.Version = 7
			version, err := c.WriteOwned(t.Context(), v1App, newData(), me, exp)
			if CategoryOf(err) != tc.wantErr || version != 0 {
				t.Fatalf("WriteOwned = %d, %v; want 0 (KV v1 has no versions), category %q", version, err, tc.wantErr)
			}
			if got := v.requestsTo("kv1/"); !reflect.DeepEqual(got, tc.wantSent) {
				t.Fatalf("sent %v, want %v", got, tc.wantSent)
			}
			want := map[bool]any{true: "new", false: tc.existing["k"]}[tc.wantErr == ""]
			if v.kv1["kv1/app"]["k"] != want {
				t.Fatalf("stored %v, want k=%v", v.kv1["kv1/app"], want)
			}
		})
	}
}
