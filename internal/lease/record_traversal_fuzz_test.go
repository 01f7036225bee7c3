package lease

import (
	"path"
	"strings"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
)

// FuzzTrustedLeaseIDsRevokeOnlyTheirOwn: even a record the operator
// sealed itself (so a MAC cannot be the only guard) is trusted only when
// every lease id in it is revocable safely: a current lease under the
// path it was issued for, and every id a clean path, so that
// sys/leases/revoke/<id> is that endpoint and nothing else
// ("../../../auth/token/revoke-self" would revoke the shared token). And a
// record sealed for one VaultApp is never trusted for another.
func FuzzTrustedLeaseIDsRevokeOnlyTheirOwn(f *testing.F) {
	f.Add("database/creds/a", "database/creds/a/x1", "database/creds/a/x0")
	f.Add("database/creds/a", "database/creds/a/../../../auth/token/revoke-self", "r")
	f.Add("database/creds/a", "database/creds/ab/x", "database/creds/a/y")
	f.Add("database/creds/a", "database/creds/a/", "../../../auth/token/revoke-self")
	f.Add("database/creds/a", "database/creds/b/x", "database/creds/b/y")
	f.Add("kubernetes-secrets/creds/team-a", "kubernetes-secrets/creds/team-a/%2e%2e/x", "sys/leases/revoke-prefix/x")
	f.Add("database/creds/a/..", "database/creds/a/../b", "database/creds/a//x")
	key, _ := mac.NewKey([]byte("the operator's test key, 32 bytes"))
	f.Fuzz(func(t *testing.T, p, current, retiring string) {
		rec := Record{Current: map[string]Issued{p: {LeaseID: current, TTL: 60, Issued: time.Unix(0, 0).UTC()}}, Retiring: []string{retiring}}
		sealed := onSecret(rec.Seal(key, "uid-a"))
		if _, trusted := ReadRecord(sealed, key, "uid-b"); trusted && !rec.Empty() {
			t.Fatal("a record sealed for one VaultApp is trusted for another")
		}
		got, trusted := ReadRecord(sealed, key, "uid-a")
		if !trusted {
			return
		}
		for _, id := range got.IDs() {
			revoke := "sys/leases/revoke/" + id
			if path.Clean(revoke) != revoke || strings.ContainsAny(id, "\x00\n\r\t ") {
				t.Fatalf("trusted lease id %q revokes %q", id, path.Clean(revoke))
			}
		}
		for p, is := range got.Current {
			if is.LeaseID != "" && !strings.HasPrefix(is.LeaseID, p+"/") {
				t.Fatalf("trusted lease %q of another path than %q", is.LeaseID, p)
			}
		}
	})
}
