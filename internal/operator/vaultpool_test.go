package operator

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// poolOptions reach v with the token file jwtFile.
func poolOptions(t *testing.T, v *tinyVault) Options {
	o := DefaultOptions()
	o.Vault.Address = v.URL
	o.VaultTokenCheck = 0
	o.VaultJWTFile = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(o.VaultJWTFile, []byte("file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestVaultPoolKeepsTokensOfLeaseHoldersInTheStoreNamespace(t *testing.T) {
	cases := []struct {
		name      string
		namespace string
		wantKept  bool
	}{
		{"should keep the token of a session that issued a secret", "ops", true},
		{"should keep no token when the store is disabled", "-", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTinyVault(t)
			o := poolOptions(t, v)
			o.VaultTokenStoreNamespace = tc.namespace
			mgr := newFakeManager()
			pool, err := newVaultPool(tokenRequests(t), mgr, o)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			if _, err := pool.Operator().IssueSecret(t.Context(), "pki/issue/web", nil); err != nil {
				t.Fatal(err)
			}
			var secrets corev1.SecretList
			if err := mgr.client.List(t.Context(), &secrets); err != nil {
				t.Fatal(err)
			}
			kept := len(secrets.Items) == 1 && secrets.Items[0].Namespace == "ops" && string(secrets.Items[0].Data["token"]) == "hvs.t"
			if kept != tc.wantKept || !tc.wantKept && len(secrets.Items) != 0 {
				t.Fatalf("token Secrets = %d (kept: %v), want kept: %v", len(secrets.Items), kept, tc.wantKept)
			}
			if got := v.presented(); !slices.Equal(got, []string{"file-token"}) {
				t.Fatalf("logged in with %v, want the token file's content", got)
			}
		})
	}
}

func TestVaultPoolObtainsTokensFromTheTokenRequestAPI(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Options)
		id     vault.Identity // zero: the operator's own
		want   string
	}{
		{"should log the operator in with its service account's token out of cluster",
			func(o *Options) { o.VaultServiceAccount = "ops/operator"; o.Vault.JWTAudience = "vault-prod" },
			vault.Identity{}, "ops/operator for vault-prod 600s"},
		{"should log a workload in with its own service account's token for audience vault",
			func(o *Options) { o.VaultIdentity = IdentityWorkload },
			vault.Identity{Role: "team", Namespace: "team", ServiceAccount: "web"}, "team/web for vault 600s"},
		{"should ask workload tokens for the configured audience",
			func(o *Options) { o.VaultIdentity = IdentityWorkload; o.Vault.JWTAudience = "vault-prod" },
			vault.Identity{Role: "team", Namespace: "team", ServiceAccount: "web"}, "team/web for vault-prod 600s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTinyVault(t)
			o := poolOptions(t, v)
			o.VaultTokenStoreNamespace = "-"
			tc.change(&o)
			pool, err := newVaultPool(tokenRequests(t), newFakeManager(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			c := pool.Operator()
			if tc.id != (vault.Identity{}) {
				c = pool.Client(tc.id)
			}
			if err := c.CheckToken(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := v.presented(); !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("logged in with %v, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateIdentity(t *testing.T) {
	for _, ok := range []string{"", IdentityOperator, IdentityWorkload} {
		if err := validateIdentity(Options{VaultIdentity: ok}); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}
