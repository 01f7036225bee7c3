package pushsync

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func testKey(t *testing.T, s string) mac.Key {
	t.Helper()
	k, err := mac.NewKey([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestOnlyASealedRecordOfThisDeploymentIsTrusted(t *testing.T) {
	k := testKey(t, "operator key one, long enough")
	own := State{Hash: "hmac:x", Locations: []vault.Location{{Mount: "secret", Version: 2, Path: "team-a/app"}}}.Seal(k, "uid-a")
	forged := own
	forged.Locations = append(forged.Locations, vault.Location{Mount: "secret", Version: 1, Path: "team-b/db"})
	cases := []struct {
		name    string
		ann     map[string]string
		uid     string
		trusted bool
	}{
		{"should trust its own sealed record", map[string]string{AnnotationState: own.Encode()}, "uid-a", true},
		{"should not trust a record copied from another Deployment", map[string]string{AnnotationState: own.Encode()}, "uid-b", false},
		{"should not trust a record with a location added", map[string]string{AnnotationState: forged.Encode()}, "uid-a", false},
		{"should not trust an unsealed (legacy or hand-written) record", map[string]string{AnnotationState: State{Locations: own.Locations}.Encode()}, "uid-a", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, present, err := ReadRecord(tc.ann, k, tc.uid)
			if err != nil || !present {
				t.Fatalf("present=%v err=%v", present, err)
			}
			if trusted := len(rec.Trusted.Locations) > 0; trusted != tc.trusted {
				t.Fatalf("trusted = %v, want %v (%+v)", trusted, tc.trusted, rec)
			}
			if !tc.trusted && len(rec.Unverified) == 0 {
				t.Fatal("the unverified locations are lost: they can still be cleaned where Vault proves ownership")
			}
		})
	}
	if _, present, err := ReadRecord(map[string]string{}, k, "uid-a"); present || err != nil {
		t.Fatalf("no annotation: present=%v err=%v", present, err)
	}
}

func TestPreserveOnDeleteIsReadOneWay(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, " true": true, "TRUE ": true, "yes": true, "1": true} {
		got, err := PreserveOnDelete(map[string]string{AnnotationPreserveOnDelete: v})
		if got != want {
			t.Errorf("preserve-on-delete %q = %v, want %v", v, got, want)
		}
		if (err != nil) != (v == "yes" || v == "1") {
			t.Errorf("preserve-on-delete %q: err = %v", v, err)
		}
	}
}

// FuzzReadRecord: no annotation content is trusted unless sealed for this
// Deployment, and nothing panics.
func FuzzReadRecord(f *testing.F) {
	f.Add(`{"hash":"h","locations":[{"mount":"secret","version":2,"path":"a/../../metadata/b"}],"mac":"AAAA"}`)
	f.Add(`{"locations":[{"mount":"kv1","version":1,"path":"team-b/db"}]}`)
	f.Add(`not json`)
	k, _ := mac.NewKey([]byte("operator key one, long enough"))
	f.Fuzz(func(t *testing.T, ann string) {
		rec, _, _ := ReadRecord(map[string]string{AnnotationState: ann}, k, "uid-a")
		if len(rec.Trusted.Locations) > 0 || rec.Trusted.Hash != "" {
			t.Fatalf("trusted a record nobody sealed: %q", ann)
		}
	})
}

func TestASealedRecordSurvivesItsEncoding(t *testing.T) {
	k := testKey(t, "operator key one, long enough")
	for _, versions := range []map[string]int{nil, {}, {"secret/data/a": 3}} {
		s := State{Hash: "h", Locations: []vault.Location{{Mount: "secret", Version: 2, Path: "a"}}, Versions: versions}.Seal(k, "uid")
		rec, _, err := ReadRecord(map[string]string{AnnotationState: s.Encode()}, k, "uid")
		if err != nil || rec.Trusted.MAC == "" {
			t.Fatalf("versions %v: a record sealed by the operator is not trusted after a round trip", versions)
		}
	}
}

// The pending sums of a KV v1 write are sealed with the rest: added,
// changed or dropped, the record no longer verifies. A record without
// them is sealed exactly as before they existed, so records already on
// Deployments keep verifying after an upgrade.
func TestPendingSumsAreSealed(t *testing.T) {
	k, _ := mac.NewKey([]byte("operator key one, long enough"))
	loc := vault.Location{Mount: "kv1", Version: 1, Path: "team-a/app"}
	plain := State{Hash: "h", Locations: []vault.Location{loc}}
	locs, _ := json.Marshal(plain.Locations)
	if got, want := plain.Seal(k, "uid").MAC, k.Sum([]byte("push-record/v3"), []byte("uid"), []byte("h"), locs, []byte("{}"), []byte("{}")); got != want {
		t.Fatalf("a record without pending sums is sealed as %s, want the earlier seal %s", got, want)
	}
	sealed := State{Hash: "h", Locations: []vault.Location{loc}, Pending: map[string]string{loc.String(): "hmac:a"}}.Seal(k, "uid")
	if !sealed.Verify(k, "uid") || !slices.Equal(sealed.Proofs(loc), []string{"hmac:a"}) {
		t.Fatalf("a sealed record with a pending sum does not verify or prove: %+v", sealed)
	}
	for name, edit := range map[string]func(*State){
		"changed": func(s *State) { s.Pending = map[string]string{loc.String(): "hmac:b"} },
		"dropped": func(s *State) { s.Pending = nil },
		"moved":   func(s *State) { s.Pending = map[string]string{"kv1/team-b/db": "hmac:a"} },
		"added to a plain record": func(s *State) {
			*s = plain.Seal(k, "uid")
			s.Pending = map[string]string{loc.String(): "hmac:a"}
		},
	} {
		s := sealed
		edit(&s)
		if s.Verify(k, "uid") {
			t.Errorf("pending sums %s: the record still verifies", name)
		}
	}
}
