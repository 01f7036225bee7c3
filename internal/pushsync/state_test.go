package pushsync

import (
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
