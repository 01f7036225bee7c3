package vault

import (
	"context"
	"testing"
)

func TestPoolHandsOutOneClientPerIdentity(t *testing.T) {
	v := newVaultServer(t)
	p := newTestPool(t, testConfig(v))
	a := p.Client(Identity{Role: "a"})
	if p.Client(Identity{Method: AuthKubernetes, AuthPath: "kubernetes", Role: "a"}) != a {
		t.Fatal("the completed identity got a second client")
	}
	if p.Client(Identity{Role: "b"}) == a || p.Client(Identity{Role: "a", Namespace: "n", ServiceAccount: "sa"}) == a {
		t.Fatal("different identities share a client")
	}
	if id := p.Operator().Identity(); id != (Identity{Method: AuthKubernetes, AuthPath: "kubernetes", Role: "operator"}) {
		t.Fatalf("operator identity = %+v", id)
	}
}

func TestWorkloadIdentitiesLogInWithTheirOwnToken(t *testing.T) {
	v := newVaultServer(t)
	p := newTestPool(t, testConfig(v), WithWorkloadJWT(func(ns, sa string) JWTSource { return staticJWT("sa:" + ns + "/" + sa) }))
	for _, c := range []*Client{p.Client(Identity{Role: "team", Namespace: "team", ServiceAccount: "web"}), p.Operator()} {
		if err := c.CheckToken(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.logins) != 2 || v.logins[0]["jwt"] != "sa:team/web" || v.logins[1]["jwt"] != "operator-jwt" {
		t.Fatalf("logins = %v, want the workload's token then the operator's", v.logins)
	}
}

func TestPoolNeverUsesVaultToken(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "root")
	v := newVaultServer(t)
	v.tokens["root"] = true
	c := newTestPool(t, testConfig(v)).Operator()
	if err := c.CheckToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := v.requestsTo(""); len(got) != 2 || got[0] != k8sLogin {
		t.Fatalf("requests = %v, want a login, then the lookup with its token", got)
	}
	if api, _ := c.APIClient(t.Context()); api.Token() != "token-1" {
		t.Fatalf("token = %q, want the login's", api.Token())
	}
}

func TestConfiguredNamespaceIsSentWithEveryRequest(t *testing.T) {
	t.Setenv("VAULT_NAMESPACE", "")
	v := newVaultServer(t)
	v.kv1["kv1/app"] = map[string]any{"k": "v"}
	cfg := testConfig(v)
	cfg.Namespace = "team-a"
	p := newTestPool(t, cfg)
	if err := p.Health(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Operator().ReadSecret(t.Context(), "kv1/app"); err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for i, ns := range v.namespaces {
		if ns != "team-a" {
			t.Fatalf("request %q sent in namespace %q, want team-a", v.requests[i], ns)
		}
	}
}

func TestPoolHealth(t *testing.T) {
	cases := []struct {
		name   string
		sealed bool
		down   bool
		want   string
	}{
		{name: "should be healthy when Vault answers unsealed"},
		{name: "should report a sealed Vault as unavailable", sealed: true, want: `vault is unavailable (path "sys/health"): vault is sealed`},
		{name: "should report an unreachable Vault as a connection failure", down: true, want: "cannot reach vault"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			v.sealed = tc.sealed
			cfg := testConfig(v)
			if tc.down {
				cfg.Address = "http://127.0.0.1:1"
			}
			err := newTestPool(t, cfg).Health(context.Background())
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || len(err.Error()) < len(tc.want) || err.Error()[:len(tc.want)] != tc.want) {
				t.Fatalf("Health = %v, want %q", err, tc.want)
			}
			if !tc.down && v.sent("GET sys/health") != 1 {
				t.Fatal("sys/health was not asked")
			}
		})
	}
}

func TestIdentityKeyIsStableAndDistinct(t *testing.T) {
	a := Identity{Method: AuthKubernetes, AuthPath: "kubernetes", Role: "a"}
	b := a
	b.ServiceAccount = "web"
	if IdentityKey(a) != IdentityKey(a) || IdentityKey(a) == IdentityKey(b) {
		t.Fatalf("keys %s and %s", IdentityKey(a), IdentityKey(b))
	}
}
