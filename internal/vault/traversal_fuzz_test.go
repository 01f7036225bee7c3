package vault

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"
)

// traversalSeeds are paths that try to reach somewhere else than they
// name once an HTTP client, a proxy or Vault's router cleans or decodes
// them: dot segments, percent-encoded dots and slashes (once and twice),
// query strings and fragments, backslashes, ";" parameters, lookalike
// dots, NUL and other control characters.
var traversalSeeds = []string{
	"secret/data/team-a/app",
	"secret/data/team-a/../../metadata/team-b/db",
	"secret/data/team-a/./app",
	"secret/data//team-b/db",
	"/secret/data/team-b/db",
	"secret/data/team-a/",
	"secret/data/team-a/%2e%2e/%2e%2e/team-b/db",
	"secret/data/team-a/..%2f..%2fteam-b%2fdb",
	"secret/data/team-a/%252e%252e/team-b/db",
	"secret/data/team-a/x?version=1",
	"secret/data/team-a/x#/../../team-b/db",
	`secret/data/team-a/..\..\team-b\db`,
	"secret/data/team-a/..;/team-b/db",
	"secret/data/team-a/\u2025/team-b/db",
	"secret/data/team-a/\uff0e\uff0e/team-b/db",
	"secret/data/team-a/\x00/../team-b",
	"secret/data/team-a/\t..",
	"database/creds/team-a/../../../auth/token/revoke-self",
	"../../../auth/token/revoke-self",
	"database/creds/team-a/abc123",
}

// requestRecorder is a Vault stand-in that records the path of every
// request, as Vault's HTTP server sees it.
type requestRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (r *requestRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path+"?"+req.URL.RawQuery)
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"data":{}}`))
}

// sent runs call and returns the request it sent ("" when none).
func (r *requestRecorder) sent(call func()) string {
	r.mu.Lock()
	r.paths = nil
	r.mu.Unlock()
	call()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.paths) != 1 {
		return strings.Join(r.paths, ", ")
	}
	return r.paths[0]
}

// recordingClient is a real Vault API client talking to a requestRecorder.
func recordingClient(f *testing.F) (*vaultapi.Client, *requestRecorder) {
	rec := &requestRecorder{}
	srv := httptest.NewServer(rec)
	f.Cleanup(srv.Close)
	cfg := vaultapi.DefaultConfig()
	cfg.Address = srv.URL
	cfg.MaxRetries = 0
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		f.Fatal(err)
	}
	c.SetToken("test")
	return c, rec
}

// FuzzValidatedPathReachesVaultAsWritten: a path ValidatePath accepts is
// the path Vault's server is asked for, byte for byte, with no query: the
// client neither cleans it into another endpoint nor lets part of it
// become a query or a fragment. This is what makes a policy check on the
// written path a check on what is read or written.
func FuzzValidatedPathReachesVaultAsWritten(f *testing.F) {
	for _, s := range traversalSeeds {
		f.Add(s)
	}
	c, rec := recordingClient(f)
	f.Fuzz(func(t *testing.T, p string) {
		if ValidatePath(p) != nil {
			return
		}
		got := rec.sent(func() { _, _ = c.Logical().ReadWithContext(context.Background(), p) })
		if want := "/v1/" + p + "?"; got != want {
			t.Fatalf("ValidatePath accepted %q, but Vault was asked for %q", p, got)
		}
	})
}

// FuzzLeaseIDRevokesOnlyItself: a lease id ValidateLeaseID accepts,
// pasted into sys/leases/revoke/<id>, reaches exactly that endpoint: no
// "../../../auth/token/revoke-self" revokes the token, and no id reaches
// another lease's revocation.
func FuzzLeaseIDRevokesOnlyItself(f *testing.F) {
	for _, s := range traversalSeeds {
		f.Add(s)
	}
	c, rec := recordingClient(f)
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateLeaseID(id) != nil {
			return
		}
		got := rec.sent(func() { _, _ = c.Logical().WriteWithContext(context.Background(), "sys/leases/revoke/"+id, nil) })
		if want := "/v1/sys/leases/revoke/" + id + "?"; got != want {
			t.Fatalf("lease id %q revoked %q", id, got)
		}
	})
}

// FuzzRecordedLocationStaysInItsMount: a location decoded from a record
// that passes Validate names a secret inside its mount: its data and
// metadata paths (what reads, writes and deletes use) are the mount
// followed by the secret's path, and reach Vault as such.
func FuzzRecordedLocationStaysInItsMount(f *testing.F) {
	for _, s := range traversalSeeds {
		mount, rest, _ := strings.Cut(s, "/")
		f.Add(mount, 2, rest)
		f.Add(mount, 1, rest)
	}
	f.Add("secret/data/team-b", 2, "db")
	f.Add("auth/token", 1, "revoke-self")
	c, rec := recordingClient(f)
	f.Fuzz(func(t *testing.T, mount string, version int, p string) {
		loc := Location{Mount: mount, Version: version, Path: p}
		if loc.Validate() != nil {
			return
		}
		if !strings.HasPrefix(loc.String(), loc.Mount+"/") || path.Clean(loc.String()) != loc.String() {
			t.Fatalf("location %+v is %q", loc, loc.String())
		}
		if version != 2 {
			return
		}
		got := rec.sent(func() { _, _ = c.KVv2(loc.Mount).GetMetadata(context.Background(), loc.Path) })
		if want := "/v1/" + loc.Mount + "/metadata/" + loc.Path + "?"; got != want {
			t.Fatalf("location %+v reached %q", loc, got)
		}
	})
}
