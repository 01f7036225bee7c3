package vault

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, m := range []string{"", AuthKubernetes, AuthJWT} {
		if err := (Config{AuthMethod: m}).Validate(); err != nil {
			t.Errorf("auth method %q: %v", m, err)
		}
	}
	err := Config{AuthMethod: "ldap"}.Validate()
	if err == nil || err.Error() != `--vault-auth-method="ldap": must be kubernetes or jwt` {
		t.Fatalf("auth method ldap: %v", err)
	}
}

func TestCompleteFillsTheConfiguredAuthMethodAndMount(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		id   Identity
		want Identity
	}{
		{"should default to Kubernetes auth at its own mount", Config{}, Identity{Role: "r"},
			Identity{Method: AuthKubernetes, AuthPath: "kubernetes", Role: "r"}},
		{"should use the configured method and mount", Config{AuthMethod: AuthJWT, AuthPath: "oidc-prod"}, Identity{Role: "r"},
			Identity{Method: AuthJWT, AuthPath: "oidc-prod", Role: "r"}},
		{"should use the configured mount for Kubernetes auth when no method is configured", Config{AuthPath: "k8s-prod"}, Identity{Role: "r"},
			Identity{Method: AuthKubernetes, AuthPath: "k8s-prod", Role: "r"}},
		{"should give another method its default mount, not the operator's", Config{AuthMethod: AuthKubernetes, AuthPath: "k8s-prod"},
			Identity{Method: AuthJWT, Role: "r"}, Identity{Method: AuthJWT, AuthPath: "jwt", Role: "r"}},
		{"should keep an identity's own method and mount", Config{AuthMethod: AuthJWT, AuthPath: "oidc"},
			Identity{Method: AuthKubernetes, AuthPath: "team-k8s", Role: "r", Namespace: "n", ServiceAccount: "sa"},
			Identity{Method: AuthKubernetes, AuthPath: "team-k8s", Role: "r", Namespace: "n", ServiceAccount: "sa"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.Complete(tc.id); got != tc.want {
				t.Fatalf("Complete(%+v) = %+v, want %+v", tc.id, got, tc.want)
			}
		})
	}
}

func TestDefaultConfigReadsTheVaultEnvironment(t *testing.T) {
	t.Setenv("VAULT_ADDR", "")
	t.Setenv("VAULT_SKIP_VERIFY", "")
	d := DefaultConfig()
	if d.Address != "http://vault:8200" || d.AuthMethod != AuthKubernetes || d.Role != "vault-sync-operator" ||
		d.Timeout != 30*time.Second || d.MaxRequestSize != 32<<20 || d.SkipVerify {
		t.Fatalf("defaults = %+v", d)
	}
	t.Setenv("VAULT_ADDR", "https://vault.example:8200")
	t.Setenv("VAULT_CACERT", "/etc/vault/ca.pem")
	t.Setenv("VAULT_NAMESPACE", "team-a")
	for value, want := range map[string]bool{"1": true, "true": true, "yes": false, "false": false} {
		t.Setenv("VAULT_SKIP_VERIFY", value)
		c := DefaultConfig()
		if c.Address != "https://vault.example:8200" || c.CACert != "/etc/vault/ca.pem" || c.Namespace != "team-a" || c.SkipVerify != want {
			t.Fatalf("VAULT_SKIP_VERIFY=%s: %+v", value, c)
		}
	}
}

func TestConfigBindFlagsParsesEveryFlag(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c.BindFlags(fs)
	args := []string{"--vault-addr=https://v:8200", "--vault-ca-cert=/ca.pem", "--vault-namespace=ns", "--vault-skip-verify",
		"--vault-auth-method=jwt", "--vault-auth-path=oidc", "--vault-role=op", "--vault-timeout=7s",
		"--vault-max-request-size=1024", "--vault-jwt-audience=vault"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	want := Config{Address: "https://v:8200", CACert: "/ca.pem", Namespace: "ns", SkipVerify: true, AuthMethod: AuthJWT,
		AuthPath: "oidc", Role: "op", Timeout: 7 * time.Second, MaxRequestSize: 1024, JWTAudience: "vault"}
	if c != want {
		t.Fatalf("parsed %+v, want %+v", c, want)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n != len(args) {
		t.Fatalf("%d flags registered, %d tested: test the new ones", n, len(args))
	}
}

func TestNewPoolRefusesAnUnusableConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"should refuse an empty address", Config{}, "vault address is empty: set --vault-addr or VAULT_ADDR"},
		{"should refuse a CA file that cannot be read", Config{Address: "https://v:8200", CACert: "/nonexistent/ca.pem"},
			`vault TLS configuration (CA "/nonexistent/ca.pem")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPool(tc.cfg, staticJWT("x"))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("NewPool = %v, want %s", err, tc.want)
			}
		})
	}
}
