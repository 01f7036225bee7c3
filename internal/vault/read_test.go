package vault

import (
	"testing"
	"time"
)

func TestReadSecret(t *testing.T) {
	cases := []struct {
		name        string
		path        string
		want        string
		wantVersion int
		wantLease   bool
		wantErr     Category
		wantSent    bool // whether anything was sent to Vault
	}{
		{name: "should read a KV v2 secret by its API path", path: "secret/data/app", want: "kv2", wantVersion: 2, wantSent: true},
		{name: "should read a KV v2 secret by its short path", path: "secret/app", want: "kv2", wantVersion: 2, wantSent: true},
		{name: "should read a KV v1 secret", path: "kv1/app", want: "kv1", wantVersion: 1, wantSent: true},
		{name: "should read a dynamic secret with its lease", path: dbCreds, want: "u1", wantLease: true, wantSent: true},
		{name: "should report a missing engine secret as not found", path: "database/creds/none", wantErr: CategoryNotFound, wantSent: true},
		{name: "should refuse a KV v2 API path other than data/", path: "secret/metadata/app", wantErr: CategoryInvalidPath, wantSent: true},
		{name: "should refuse an unmounted path", path: "nowhere/app", wantErr: CategoryInvalidPath, wantSent: true},
		{name: "should refuse an invalid path without asking Vault", path: "secret//app", wantErr: CategoryInvalidPath},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			v.kv2["secret/app"] = &kv2Entry{data: map[string]any{"username": "kv2"}, version: 1}
			v.kv1["kv1/app"] = map[string]any{"username": "kv1"}
			withDynamicEngine(v, 60)
			c, _ := newTestClient(t, v)

			got, err := c.ReadSecret(t.Context(), tc.path)
			if CategoryOf(err) != tc.wantErr {
				t.Fatalf("err = %v, want category %q", err, tc.wantErr)
			}
			if sent := len(v.requestsTo("")) > 0; sent != tc.wantSent {
				t.Fatalf("sent requests = %v, want %v", sent, tc.wantSent)
			}
			if err != nil {
				return
			}
			if got.Data["username"] != tc.want || got.KVVersion != tc.wantVersion {
				t.Fatalf("read %+v, want %s from KV v%d", got, tc.want, tc.wantVersion)
			}
			if hasLease := got.LeaseID != ""; hasLease != tc.wantLease {
				t.Fatalf("lease %q, want one: %v", got.LeaseID, tc.wantLease)
			}
			if tc.wantLease && (got.LeaseDuration != time.Minute || !got.Renewable) {
				t.Fatalf("lease %s renewable=%v, want 1m renewable", got.LeaseDuration, got.Renewable)
			}
		})
	}
}

func TestIssueSecretWritesTheRequestToTheEnginePath(t *testing.T) {
	v := newVaultServer(t)
	v.engine["pki/issue/web"] = engineSecret{data: map[string]any{"certificate": "PEM", "serial_number": "01:02"}}
	store := newMemTokenStore()
	c, _ := newTestClient(t, v, WithTokenStore(store))

	got, err := c.IssueSecret(t.Context(), "pki/issue/web", map[string]any{"common_name": "web.example.com"})
	if err != nil || got.Data["certificate"] != "PEM" || got.LeaseID != "" {
		t.Fatalf("issued %+v, %v", got, err)
	}
	v.mu.Lock()
	body := v.bodies["PUT pki/issue/web"]
	v.mu.Unlock()
	if body["common_name"] != "web.example.com" {
		t.Fatalf("request body = %v", body)
	}
	if n := v.sent("GET sys/internal/ui/mounts/"); n != 0 {
		t.Fatalf("%d mount look-ups: an issue path is the engine's own", n)
	}
	// The certificate's issuer token may hold leases: it is kept like one.
	if tok, _ := store.saved(c.Identity()); tok != "token-1" {
		t.Fatalf("stored token = %q, want token-1", tok)
	}
}

func TestIssueSecretFailures(t *testing.T) {
	cases := []struct {
		name     string
		path     string
		want     string
		wantSent bool
	}{
		{"should report an empty answer as not found", "pki/issue/none", `not found (path "pki/issue/none")`, true},
		{"should refuse an invalid path without asking Vault", "pki/issue/", "invalid_path: invalid vault path \"pki/issue/\": must not end with '/'", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			c, _ := newTestClient(t, v)
			_, err := c.IssueSecret(t.Context(), tc.path, nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
			if sent := v.sent("PUT pki/") > 0; sent != tc.wantSent {
				t.Fatalf("sent = %v, want %v", sent, tc.wantSent)
			}
		})
	}
}

func TestReadRawPath(t *testing.T) {
	v := newVaultServer(t)
	v.kv2["secret/app"] = &kv2Entry{data: map[string]any{"k": "v"}, version: 1}
	c, _ := newTestClient(t, v)

	sec, err := c.Read(t.Context(), "secret/data/app")
	if err != nil || sec.Data["data"].(map[string]any)["k"] != "v" {
		t.Fatalf("raw read = %+v, %v", sec, err)
	}
	if _, err := c.Read(t.Context(), "secret/data/none"); !IsCategory(err, CategoryNotFound) {
		t.Fatalf("raw read of nothing = %v, want not found", err)
	}
	if _, err := c.Read(t.Context(), "/secret"); !IsCategory(err, CategoryInvalidPath) {
		t.Fatalf("raw read of an invalid path = %v, want invalid path", err)
	}
}
