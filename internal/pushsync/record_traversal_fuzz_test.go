package pushsync

import (
	"reflect"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// FuzzSealedRecordResistsEdits: the operator seals a record of a location
// (any strings, traversal included: the record does not judge them, the
// cleanup re-validates them), and a tenant changes one byte of the
// annotation or copies it to another Deployment. Whatever results is
// trusted only if it is exactly what was sealed, for the Deployment it was
// sealed for; anything else is never trusted, and its locations are only
// ever offered as unverified.
func FuzzSealedRecordResistsEdits(f *testing.F) {
	f.Add("secret", 2, "team-a/app", 0, byte('x'))
	f.Add("secret", 2, "team-a/../../metadata/team-b/db", 40, byte('.'))
	f.Add("kv1", 1, "team-b/legacy", 10, byte('2'))
	f.Add("secret/data/team-b", 2, "db", 25, byte('1'))
	f.Add("secret", 1, "data/team-b/db", 60, byte('/'))
	f.Add("auth/token", 1, "revoke-self", 5, byte('"'))
	key, _ := mac.NewKey([]byte("operator key one, long enough"))
	f.Fuzz(func(t *testing.T, mount string, version int, path string, at int, b byte) {
		sealed := State{Hash: "hmac:0123456789abcdef", Locations: []vault.Location{{Mount: mount, Version: version, Path: path}}}.Seal(key, "uid-a")
		ann := sealed.Encode()
		if rec, _, err := ReadRecord(map[string]string{AnnotationState: ann}, key, "uid-b"); err != nil || len(rec.Trusted.Locations) > 0 {
			t.Fatalf("a record sealed for uid-a is trusted for uid-b (err %v)", err)
		}
		if at < 0 || at >= len(ann) || ann[at] == b {
			return
		}
		edited := ann[:at] + string(b) + ann[at+1:]
		rec, _, err := ReadRecord(map[string]string{AnnotationState: edited}, key, "uid-a")
		if err != nil {
			return // corrupt: nothing is trusted
		}
		if rec.Trusted.MAC != "" && !reflect.DeepEqual(rec.Trusted.Locations, sealed.Locations) {
			t.Fatalf("edited record %q trusted with locations %+v", edited, rec.Trusted.Locations)
		}
		if rec.Trusted.MAC == "" && (len(rec.Trusted.Locations) > 0 || rec.Trusted.Hash != "") {
			t.Fatalf("edited record %q: unsealed content trusted: %+v", edited, rec.Trusted)
		}
	})
}
