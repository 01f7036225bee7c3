package lease

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
)

func testKey(t *testing.T, secret string) mac.Key {
	t.Helper()
	key, err := mac.NewKey([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func sampleRecord() Record {
	return Record{Current: map[string]Issued{
		"database/creds/a": {LeaseID: "database/creds/a/1", TTL: 60, Keys: []string{"password", "username"}},
		"pki/issue/web":    {Serial: "01:02"},
	}, Retiring: []string{"database/creds/a/0"}}
}

func TestRecordRoundTripSealedForOneVaultApp(t *testing.T) {
	key := testKey(t, "the operator's test key, 32 bytes")
	if rec, trusted := ReadRecord(nil, key, "uid-1"); !trusted || !rec.Empty() || rec.Seal(key, "uid-1") != "" {
		t.Fatalf("record of no Secret = %+v, trusted %v", rec, trusted)
	}
	rec := sampleRecord()
	got := rec.IDs()
	if len(got) != 2 || got[0] != "database/creds/a/0" || got[1] != "database/creds/a/1" {
		t.Fatalf("IDs = %v, want the retiring lease and the current one (a certificate has none)", got)
	}
	sealed := rec.Seal(key, "uid-1")
	back, trusted := ReadRecord(onSecret(sealed), key, "uid-1")
	back.MAC = ""
	if !trusted || !reflect.DeepEqual(back, rec) {
		t.Fatalf("round trip = %+v (trusted %v), want %+v", back, trusted, rec)
	}
	if strings.Contains(sealed, `"password":`) || !strings.Contains(sealed, `"keys":["password","username"]`) {
		t.Fatalf("sealed record %s: key names are recorded, as names only", sealed)
	}
	if (Record{Retiring: []string{"x"}}).Empty() {
		t.Fatal("a record with a retiring lease is empty")
	}
}

func TestRecordIsNotTrustedWhenItDoesNotVerify(t *testing.T) {
	key := testKey(t, "the operator's test key, 32 bytes")
	sealed := sampleRecord().Seal(key, "uid-1")
	// A retiring lease swapped for another one, the seal kept.
	edited := strings.Replace(sealed, `"database/creds/a/0"`, `"database/creds/b/9"`, 1)
	if edited == sealed {
		t.Fatalf("the sealed record %s does not name the retiring lease", sealed)
	}
	cases := []struct {
		name, ann, uid string
		key            mac.Key
	}{
		{"should not trust a record sealed for another VaultApp (copied)", sealed, "uid-2", key},
		{"should not trust a record sealed with another key", sealed, "uid-1", testKey(t, "another operator's key, 32 bytes!")},
		{"should not trust an unsealed record", `{"current":{"database/creds/a":{"leaseID":"database/creds/a/1"}}}`, "uid-1", key},
		{"should not trust an edited record under the original seal", edited, "uid-1", key},
		{"should not trust what is not JSON", "not json", "uid-1", key},
		{"should not trust a sealed record whose lease id is not under its path",
			(Record{Current: map[string]Issued{"database/creds/a": {LeaseID: "database/creds/admin/1"}}}).Seal(key, "uid-1"), "uid-1", key},
		{"should not trust a sealed record whose lease id climbs out of its path",
			(Record{Current: map[string]Issued{"database/creds/a": {LeaseID: "database/creds/a/../../../sys/x"}}}).Seal(key, "uid-1"), "uid-1", key},
		{"should not trust a sealed record retiring an unclean lease id",
			(Record{Retiring: []string{"database/creds/a/../../../sys/x"}}).Seal(key, "uid-1"), "uid-1", key},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if rec, trusted := ReadRecord(onSecret(tc.ann), tc.key, tc.uid); trusted || !rec.Empty() {
				t.Fatalf("ReadRecord = %+v, trusted %v; want an empty untrusted record", rec, trusted)
			}
		})
	}
}

func TestBelongsTo(t *testing.T) {
	cases := []struct {
		id, path string
		want     bool
	}{
		{"database/creds/a/AbC", "database/creds/a", true},
		{"database/creds/a/x/y", "database/creds/a", true},
		{"database/creds/admin/AbC", "database/creds/a", false},
		{"database/creds/a", "database/creds/a", false},
		{"database/creds/a/../b/x", "database/creds/a", false},
		{"database/creds/a/x", "database/creds/../creds/a", false},
		{"", "database/creds/a", false},
	}
	for _, tc := range cases {
		if got := BelongsTo(tc.id, tc.path); got != tc.want {
			t.Errorf("BelongsTo(%q, %q) = %v, want %v", tc.id, tc.path, got, tc.want)
		}
	}
}
