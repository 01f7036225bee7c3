package vault

import (
	"reflect"
	"testing"
)

func TestRequestKind(t *testing.T) {
	cases := []struct {
		name, method, path string
		want               RequestKind
	}{
		{"should count a Kubernetes login as a login", "PUT", "/v1/auth/kubernetes/login", KindLogin},
		{"should count a JWT login at any mount as a login", "PUT", "/v1/auth/jwt-team/login", KindLogin},
		{"should count a token renewal as a renewal", "PUT", "/v1/auth/token/renew-self", KindRenew},
		{"should count a lease renewal as a renewal", "PUT", "/v1/sys/leases/renew", KindRenew},
		{"should count a mount look-up", "GET", "/v1/sys/internal/ui/mounts/secret/x", KindMountLookup},
		{"should count a health check", "GET", "/v1/sys/health", KindHealth},
		{"should count a GET as a read", "GET", "/v1/secret/data/x", KindRead},
		{"should count a LIST as a read", "LIST", "/v1/secret/metadata/", KindRead},
		{"should count a token lookup as a read", "GET", "/v1/auth/token/lookup-self", KindRead},
		{"should count a PUT as a write", "PUT", "/v1/secret/data/x", KindWrite},
		{"should count a POST as a write", "POST", "/v1/pki/issue/web", KindWrite},
		{"should count a PATCH as a write", "PATCH", "/v1/secret/data/x", KindWrite},
		{"should count a DELETE as a delete", "DELETE", "/v1/secret/metadata/x", KindDelete},
		{"should count anything else as other", "HEAD", "/v1/secret/data/x", KindOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := requestKind(tc.method, tc.path); got != tc.want {
				t.Fatalf("requestKind(%s %s) = %s, want %s", tc.method, tc.path, got, tc.want)
			}
		})
	}
}

func TestEveryRequestIsReportedWithItsKindAndStatus(t *testing.T) {
	v := newVaultServer(t)
	v.kv1["kv1/app"] = map[string]any{"k": "v"}
	obs := &recordingObserver{}
	c, _ := newTestClient(t, v, WithObserver(obs))
	if _, err := c.ReadSecret(t.Context(), "kv1/app"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadSecret(t.Context(), "kv1/none"); !IsCategory(err, CategoryNotFound) {
		t.Fatal(err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	want := []string{"login 200", "mount_lookup 200", "read 200", "read 404"}
	if !reflect.DeepEqual(obs.requests, want) || !reflect.DeepEqual(obs.logins, []string{"success"}) {
		t.Fatalf("reported requests %v and logins %v, want %v and [success]", obs.requests, obs.logins, want)
	}
}
