package vault

import (
	"sync"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

const k8sLogin = "PUT auth/kubernetes/login"

func TestConcurrentCallersShareOneLogin(t *testing.T) {
	v := newVaultServer(t)
	gate, release := newGate(t)
	v.loginGate = gate
	c, _ := newTestClient(t, v)

	clients := make([]*vaultapi.Client, 20)
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i], errs[i] = c.APIClient(t.Context())
		}()
	}
	eventually(t, "the first login reaches Vault", func() bool { return v.sent(k8sLogin) >= 1 })
	time.Sleep(20 * time.Millisecond) // let the other callers queue behind it
	release()
	wg.Wait()

	for i := range clients {
		if errs[i] != nil || clients[i] != clients[0] {
			t.Fatalf("caller %d got %p, %v; want the shared client %p", i, clients[i], errs[i], clients[0])
		}
	}
	if n := v.sent(k8sLogin); n != 1 {
		t.Fatalf("%d logins for 20 concurrent callers, want 1", n)
	}
	if g := c.Generation(); g != 1 {
		t.Fatalf("generation = %d after one login, want 1", g)
	}
}

func TestRevokedTokenIsReplacedAfterA403(t *testing.T) {
	v := newVaultServer(t)
	v.kv1["kv1/app"] = map[string]any{"k": "v"}
	c, _ := newTestClient(t, v)
	loc := Location{Mount: "kv1", Version: 1, Path: "app"}
	if _, err := c.ReadKV(t.Context(), loc); err != nil {
		t.Fatal(err)
	}

	v.revokeTokens()
	got, err := c.ReadKV(t.Context(), loc)
	if err != nil || got.Data["k"] != "v" {
		t.Fatalf("read after revocation = %v, %v; want the data through a new token", got, err)
	}
	if n := v.sent(k8sLogin); n != 2 {
		t.Fatalf("%d logins, want 2 (one after the revocation)", n)
	}
	if n := v.sent("GET kv1/app"); n != 3 {
		t.Fatalf("%d reads, want 3 (first, refused, retried)", n)
	}
	if g := c.Generation(); g != 2 {
		t.Fatalf("generation = %d, want 2", g)
	}
}

func TestPermissionDeniedWithAValidTokenIsNotRetried(t *testing.T) {
	v := newVaultServer(t)
	v.denied["kv1/other"] = true
	c, _ := newTestClient(t, v)

	_, err := c.ReadKV(t.Context(), Location{Mount: "kv1", Version: 1, Path: "other"})
	if !IsCategory(err, CategoryPermissionDenied) || err.Error() != `permission denied (path "kv1/other")` {
		t.Fatalf("err = %v, want a plain permission denied on the path", err)
	}
	if n, r := v.sent(k8sLogin), v.sent("GET kv1/other"); n != 1 || r != 1 {
		t.Fatalf("%d logins and %d reads, want 1 and 1: a policy denial is not a lost token", n, r)
	}
}

func TestTokenIsReplacedBeforeItExpires(t *testing.T) {
	v := newVaultServer(t)
	v.tokenTTL = 100
	c, clk := newTestClient(t, v)
	first, err := c.APIClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(89 * time.Second)
	if again, _ := c.APIClient(t.Context()); again != first {
		t.Fatal("token replaced before 90% of its TTL")
	}
	clk.Advance(2 * time.Second)
	if again, _ := c.APIClient(t.Context()); again == first {
		t.Fatal("token still used after 90% of its TTL")
	}
	if n := v.sent(k8sLogin); n != 2 {
		t.Fatalf("%d logins, want 2", n)
	}
}

func TestRenewedTokenIsKeptPastItsFirstTTL(t *testing.T) {
	v := newVaultServer(t)
	v.tokenTTL, v.renewable, v.renewTTL = 100, true, 3600
	c, clk := newTestClient(t, v)
	first, err := c.APIClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the renewal moved the expiry", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.expires.After(clk.Now().Add(time.Hour / 2))
	})
	clk.Advance(10 * time.Minute)
	if again, _ := c.APIClient(t.Context()); again != first {
		t.Fatal("a renewed token was replaced at its original TTL")
	}
	if n := v.sent(k8sLogin); n != 1 {
		t.Fatalf("%d logins, want 1", n)
	}
}

func TestTokenWhoseRenewalEndsIsReplacedOnNextUse(t *testing.T) {
	v := newVaultServer(t)
	v.tokenTTL, v.renewable, v.renewTTL = 3600, true, 0 // max TTL reached: renew-self grants nothing
	c, _ := newTestClient(t, v)
	first, err := c.APIClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the session dropped the token", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.api == nil
	})
	if again, _ := c.APIClient(t.Context()); again == first {
		t.Fatal("token kept after its renewal ended")
	}
	if n := v.sent(k8sLogin); n != 2 {
		t.Fatalf("%d logins, want 2", n)
	}
}

func TestLoginUsesTheIdentitysAuthMethodAndMount(t *testing.T) {
	cases := []struct {
		name      string
		cfgPath   string
		id        Identity
		wantMount string
	}{
		{"should log in with Kubernetes auth at its default mount when nothing is configured", "", Identity{Role: "r"}, "kubernetes"},
		{"should use --vault-auth-path for the operator's own method", "k8s-prod", Identity{Role: "r"}, "k8s-prod"},
		{"should log in with JWT auth as one write to its mount", "", Identity{Method: AuthJWT, Role: "r"}, "jwt"},
		{"should keep an identity's own auth mount", "k8s-prod", Identity{Method: AuthJWT, AuthPath: "jwt-team", Role: "r"}, "jwt-team"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			cfg := testConfig(v)
			cfg.AuthPath = tc.cfgPath
			c := newTestPool(t, cfg).Client(tc.id)
			if err := c.CheckToken(t.Context()); err != nil {
				t.Fatal(err)
			}
			v.mu.Lock()
			defer v.mu.Unlock()
			if len(v.logins) != 1 {
				t.Fatalf("%d logins", len(v.logins))
			}
			l := v.logins[0]
			if l["mount"] != tc.wantMount || l["role"] != "r" || l["jwt"] != "operator-jwt" {
				t.Fatalf("login = %v, want mount %s, role r, the operator's JWT", l, tc.wantMount)
			}
		})
	}
}

func TestLoginFailures(t *testing.T) {
	cases := []struct {
		name string
		jwt  JWTSource
		code int
		want string
	}{
		{"should report an unreadable service-account token as a rejected login", FileJWT("/nonexistent/token"), 0,
			"login rejected: read service account token /nonexistent/token: open /nonexistent/token: no such file or directory"},
		{"should report a 403 login as permission denied", staticJWT("jwt"), 403,
			`permission denied (path "auth/kubernetes/login"): invalid role name "operator"`},
		{"should report a 500 login as Vault being unavailable", staticJWT("jwt"), 500,
			`vault is unavailable (path "auth/kubernetes/login"): invalid role name "operator"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			v.loginCode = tc.code
			p, err := NewPool(testConfig(v), tc.jwt, WithTokenCheck(0))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := p.Operator().CheckToken(t.Context()); err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}
}
