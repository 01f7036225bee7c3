package vault

import (
	"testing"
	"time"
)

const dbCreds = "database/creds/app"

// withDynamicEngine makes reads of dbCreds issue a lease of ttl seconds.
func withDynamicEngine(v *vaultServer, ttl int) {
	v.with(func() { v.engine[dbCreds] = engineSecret{data: map[string]any{"username": "u1"}, leaseTTL: ttl} })
}

func TestStoredTokenIsAdoptedInsteadOfALogin(t *testing.T) {
	v := newVaultServer(t)
	v.tokens["stored-token"] = true
	store := newMemTokenStore()
	c, _ := newTestClient(t, v, WithTokenStore(store))
	store.tokens[c.Identity()] = "stored-token"

	api, err := c.APIClient(t.Context())
	if err != nil || api.Token() != "stored-token" {
		t.Fatalf("client token = %v, %v; want the stored token", api, err)
	}
	if n := v.sent(k8sLogin); n != 0 {
		t.Fatalf("%d logins, want none: the stored token is valid", n)
	}
	if _, saves := store.saved(c.Identity()); saves != 0 {
		t.Fatalf("%d saves of an adopted token, want none", saves)
	}
}

func TestUnknownStoredTokenFallsBackToALogin(t *testing.T) {
	v := newVaultServer(t)
	store := newMemTokenStore()
	c, _ := newTestClient(t, v, WithTokenStore(store))
	store.tokens[c.Identity()] = "revoked-token"

	api, err := c.APIClient(t.Context())
	if err != nil || api.Token() != "token-1" {
		t.Fatalf("client token = %v, %v; want a fresh login's token", api, err)
	}
	if n := v.sent("GET auth/token/lookup-self"); n != 1 {
		t.Fatalf("%d lookups of the stored token, want 1", n)
	}
	if tok, saves := store.saved(c.Identity()); saves != 0 || tok != "revoked-token" {
		t.Fatalf("store = %q after %d saves: a session without leases must not store its token", tok, saves)
	}
}

func TestTokenIsStoredOnceTheSessionHoldsLeases(t *testing.T) {
	v := newVaultServer(t)
	withDynamicEngine(v, 60)
	v.kv1["kv1/app"] = map[string]any{"k": "v"}
	store := newMemTokenStore()
	c, _ := newTestClient(t, v, WithTokenStore(store))

	if _, err := c.ReadSecret(t.Context(), "kv1/app"); err != nil {
		t.Fatal(err)
	}
	if _, saves := store.saved(c.Identity()); saves != 0 {
		t.Fatalf("token stored after a static read (%d saves)", saves)
	}
	for range 2 {
		if _, err := c.ReadSecret(t.Context(), dbCreds); err != nil {
			t.Fatal(err)
		}
	}
	if tok, saves := store.saved(c.Identity()); tok != "token-1" || saves != 1 {
		t.Fatalf("store = %q after %d saves, want token-1 saved once", tok, saves)
	}
}

func TestTokenCheckReplacesARevokedTokenOfALeaseHolder(t *testing.T) {
	v := newVaultServer(t)
	withDynamicEngine(v, 60)
	store := newMemTokenStore()
	p := newTestPool(t, testConfig(v), WithTokenStore(store), WithTokenCheck(20*time.Millisecond))
	replaced := make(chan Identity, 1)
	p.OnTokenReplaced(func(id Identity) { replaced <- id })
	c := p.Operator()
	if _, err := c.ReadSecret(t.Context(), dbCreds); err != nil {
		t.Fatal(err)
	}

	v.revokeTokens()
	select {
	case id := <-replaced:
		if id != c.Identity() {
			t.Fatalf("OnTokenReplaced(%+v), want %+v", id, c.Identity())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the revoked token was not replaced by the periodic check")
	}
	if n := v.sent(k8sLogin); n != 2 {
		t.Fatalf("%d logins, want 2", n)
	}
	eventually(t, "the new token is stored", func() bool {
		tok, _ := store.saved(c.Identity())
		return tok == "token-2"
	})
}

func TestTokenReplacedWithoutLeasesIsNotAnnounced(t *testing.T) {
	v := newVaultServer(t)
	v.kv1["kv1/app"] = map[string]any{"k": "v"}
	p := newTestPool(t, testConfig(v), WithTokenCheck(10*time.Millisecond))
	replaced := make(chan Identity, 1)
	p.OnTokenReplaced(func(id Identity) { replaced <- id })
	c := p.Operator()
	if _, err := c.ReadSecret(t.Context(), "kv1/app"); err != nil {
		t.Fatal(err)
	}
	v.revokeTokens()
	if _, err := c.ReadSecret(t.Context(), "kv1/app"); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-replaced:
		t.Fatalf("OnTokenReplaced(%+v) for a session that holds no lease", id)
	case <-time.After(100 * time.Millisecond):
	}
	// Nor does a session without leases look its token up periodically.
	if n := v.sent("GET auth/token/lookup-self"); n != 1 {
		t.Fatalf("%d token lookups, want 1 (the check after the 403)", n)
	}
}

func TestClosedSessionStopsCheckingItsToken(t *testing.T) {
	v := newVaultServer(t)
	withDynamicEngine(v, 60)
	p := newTestPool(t, testConfig(v), WithTokenCheck(10*time.Millisecond))
	c := p.Operator()
	if _, err := c.ReadSecret(t.Context(), dbCreds); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the token is checked", func() bool { return v.sent("GET auth/token/lookup-self") > 0 })
	p.Close()
	time.Sleep(200 * time.Millisecond) // a check in flight may finish
	before := v.sent("GET auth/token/lookup-self")
	time.Sleep(200 * time.Millisecond) // 20 check intervals
	if after := v.sent("GET auth/token/lookup-self"); after != before {
		t.Fatalf("%d token checks after Close", after-before)
	}
}

func TestReleasedLeasesDeleteTheStoredTokenAndStopTheCheck(t *testing.T) {
	v := newVaultServer(t)
	withDynamicEngine(v, 60)
	store := newMemTokenStore()
	p := newTestPool(t, testConfig(v), WithTokenStore(store), WithTokenCheck(10*time.Millisecond))
	c := p.Operator()
	if _, err := c.ReadSecret(t.Context(), dbCreds); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the token is checked", func() bool { return v.sent("GET auth/token/lookup-self") > 0 })

	c.ReleaseLeases(t.Context())
	if tok, _ := store.saved(c.Identity()); tok != "" || store.deleted() != 1 {
		t.Fatalf("stored token %q after %d deletes, want it deleted once", tok, store.deleted())
	}
	time.Sleep(50 * time.Millisecond) // a check in flight may finish
	before := v.sent("GET auth/token/lookup-self")
	time.Sleep(100 * time.Millisecond) // 10 check intervals
	if after := v.sent("GET auth/token/lookup-self"); after != before {
		t.Fatalf("%d token checks after the leases were released", after-before)
	}
	c.ReleaseLeases(t.Context())
	if store.deleted() != 1 {
		t.Fatalf("%d deletes, want 1: a second release has nothing to delete", store.deleted())
	}

	// A later lease makes the session a holder again: its token is stored anew.
	if _, err := c.ReadSecret(t.Context(), dbCreds); err != nil {
		t.Fatal(err)
	}
	if tok, saves := store.saved(c.Identity()); tok != "token-1" || saves != 2 {
		t.Fatalf("store = %q after %d saves, want token-1 stored again", tok, saves)
	}
}

func TestReleaseOfASessionThatHoldsNoLeasesDeletesNothing(t *testing.T) {
	v := newVaultServer(t)
	v.kv1["kv1/app"] = map[string]any{"k": "v"}
	store := newMemTokenStore()
	c, _ := newTestClient(t, v, WithTokenStore(store))
	if _, err := c.ReadSecret(t.Context(), "kv1/app"); err != nil {
		t.Fatal(err)
	}
	c.ReleaseLeases(t.Context())
	if store.deleted() != 0 {
		t.Fatalf("%d deletes for a session that never stored its token", store.deleted())
	}
}
