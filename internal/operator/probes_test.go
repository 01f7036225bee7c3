package operator

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

func TestProbes(t *testing.T) {
	cases := []struct {
		name      string
		identity  string
		loginCode int
		sealed    bool
		wantReady string // name of the readiness check
		readyErr  string // "" : ready
		healthErr string // "" : healthy
	}{
		{name: "should be ready when the operator's login works", identity: IdentityOperator, wantReady: "vault-auth"},
		{name: "should not be ready when the operator's login is refused", identity: IdentityOperator, loginCode: 400,
			wantReady: "vault-auth", readyErr: "login rejected"},
		{name: "should be unhealthy when Vault is sealed", identity: IdentityOperator, sealed: true,
			wantReady: "vault-auth", healthErr: "vault is sealed"},
		{name: "should be ready in workload mode when Vault answers, whatever the operator's own login",
			identity: IdentityWorkload, loginCode: 400, wantReady: "vault"},
		{name: "should not be ready in workload mode when Vault is sealed", identity: IdentityWorkload, sealed: true,
			wantReady: "vault", readyErr: "vault is sealed", healthErr: "vault is sealed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTinyVault(t)
			v.loginCode, v.sealed = tc.loginCode, tc.sealed
			o := poolOptions(t, v)
			o.VaultIdentity, o.VaultTokenStoreNamespace = tc.identity, "-"
			mgr := newFakeManager()
			pool, err := newVaultPool(tokenRequests(t), mgr, o)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			if err := addProbes(mgr, pool, o); err != nil {
				t.Fatal(err)
			}
			if names := keys(mgr.healthz); !slices.Equal(names, []string{"ping", "vault"}) {
				t.Fatalf("health checks = %v", names)
			}
			if names := keys(mgr.readyz); !slices.Equal(names, []string{tc.wantReady}) {
				t.Fatalf("readiness checks = %v, want %s", names, tc.wantReady)
			}
			req := httptest.NewRequest("GET", "/readyz", nil)
			expect(t, "ready", mgr.readyz[tc.wantReady], req, tc.readyErr)
			expect(t, "healthy", mgr.healthz["vault"], req, tc.healthErr)
			expect(t, "alive", mgr.healthz["ping"], req, "")
		})
	}
}

func keys(m map[string]healthz.Checker) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// expect runs check and compares its error with want ("": no error).
func expect(t *testing.T, what string, check healthz.Checker, req *http.Request, want string) {
	t.Helper()
	err := check(req)
	if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
		t.Fatalf("%s: %v, want %q", what, err, want)
	}
}
