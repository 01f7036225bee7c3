package vault

import (
	"context"
	"testing"
	"time"
)

// idleFor makes c's session look last used d ago (by the wall clock the
// pool's eviction reads).
func idleFor(t *testing.T, c *Client, d time.Duration) {
	t.Helper()
	c.Session.now = func() time.Time { return time.Now().Add(-d) }
	if err := c.CheckToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.Session.now = time.Now
}

func TestIdleClientsAreEvicted(t *testing.T) {
	v := newVaultServer(t)
	withDynamicEngine(v, 60)
	p := newTestPool(t, testConfig(v), WithIdleTimeout(time.Hour))
	idle := p.Client(Identity{Role: "idle"})
	recent := p.Client(Identity{Role: "recent"})
	holder := p.Client(Identity{Role: "holder"})
	operator := p.Operator()
	if _, err := holder.ReadSecret(t.Context(), dbCreds); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Client{idle, operator, holder} {
		idleFor(t, c, 2*time.Hour)
	}
	idleFor(t, recent, 59*time.Minute)

	p.evictIdle(t.Context())

	if n := p.Size(); n != 3 {
		t.Fatalf("%d clients left, want 3 (the operator's, the recent one, the lease holder)", n)
	}
	if p.Client(Identity{Role: "idle"}) == idle {
		t.Fatal("the idle client is still handed out")
	}
	for name, c := range map[string]*Client{"operator": operator, "recent": recent, "holder": holder} {
		if p.Client(c.Identity()) != c {
			t.Fatalf("the %s client was evicted", name)
		}
	}
}

func TestAnEvictedClientsTokenIsRevoked(t *testing.T) {
	v := newVaultServer(t)
	p := newTestPool(t, testConfig(v), WithIdleTimeout(time.Hour))
	idle := p.Client(Identity{Role: "idle"})
	api, err := idle.APIClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	token := api.Token()
	idleFor(t, idle, 2*time.Hour)

	p.evictIdle(t.Context())

	if n := v.sent("PUT auth/token/revoke-self"); n != 1 {
		t.Fatalf("%d token revocations, want 1 (the evicted client's)", n)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tokens[token] {
		t.Fatal("the evicted client's token is still valid in Vault")
	}
}

func TestSessionRevokeEndsItsToken(t *testing.T) {
	v := newVaultServer(t)
	c, _ := newTestClient(t, v)
	api, err := c.APIClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c.revoke(t.Context())
	v.mu.Lock()
	valid := v.tokens[api.Token()]
	v.mu.Unlock()
	if valid || v.sent("PUT auth/token/revoke-self") != 1 {
		t.Fatal("revoke did not end the token in Vault")
	}
	if _, err := c.APIClient(t.Context()); err != nil || v.sent(k8sLogin) != 2 {
		t.Fatalf("after revoke: %v with %d logins, want a new login", err, v.sent(k8sLogin))
	}
}

func TestALeaseHolderIsEvictableOnceItReleasesItsLeases(t *testing.T) {
	v := newVaultServer(t)
	withDynamicEngine(v, 60)
	p := newTestPool(t, testConfig(v), WithIdleTimeout(time.Hour))
	c := p.Client(Identity{Role: "app"})
	if _, err := c.ReadSecret(t.Context(), dbCreds); err != nil {
		t.Fatal(err)
	}
	idleFor(t, c, 2*time.Hour)
	p.evictIdle(t.Context())
	if p.Size() != 1 {
		t.Fatal("a lease holder was evicted")
	}
	c.ReleaseLeases(t.Context())
	p.evictIdle(t.Context())
	if p.Size() != 0 {
		t.Fatal("an idle client that released its leases was kept")
	}
}

func TestAnEvictedClientThatNeverLoggedInRevokesNothing(t *testing.T) {
	v := newVaultServer(t)
	p := newTestPool(t, testConfig(v), WithIdleTimeout(time.Nanosecond))
	p.Client(Identity{Role: "unused"})
	time.Sleep(time.Millisecond)
	p.evictIdle(t.Context())
	if p.Size() != 0 || len(v.requestsTo("")) != 0 {
		t.Fatalf("%d clients, requests %v", p.Size(), v.requestsTo(""))
	}
}

func TestPoolRunEvictsUntilItsContextEnds(t *testing.T) {
	v := newVaultServer(t)
	p := newTestPool(t, testConfig(v), WithIdleTimeout(time.Millisecond)) // checked every second
	c := p.Client(Identity{Role: "app"})
	if err := c.CheckToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	eventually(t, "the idle client is evicted", func() bool { return p.Size() == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestPoolRunWithoutIdleTimeoutKeepsEveryClient(t *testing.T) {
	v := newVaultServer(t)
	p := newTestPool(t, testConfig(v), WithIdleTimeout(0))
	p.Client(Identity{Role: "app"})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := p.Run(ctx); err != nil || p.Size() != 1 {
		t.Fatalf("Run = %v with %d clients left, want nil and 1", err, p.Size())
	}
}
