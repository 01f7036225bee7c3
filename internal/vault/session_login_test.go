package vault

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFailedLoginIsRememberedForTheBackoff(t *testing.T) {
	v := newVaultServer(t)
	v.loginCode = 400
	obs := &recordingObserver{}
	c, clk := newTestClient(t, v, WithObserver(obs))

	err := c.CheckToken(t.Context())
	want := `login rejected (path "auth/kubernetes/login"): invalid role name "operator"`
	if !IsCategory(err, CategoryAuth) || err.Error() != want {
		t.Fatalf("first call: %v, want %s", err, want)
	}
	clk.Advance(loginBackoff - time.Second)
	if err2 := c.CheckToken(t.Context()); err2 != err {
		t.Fatalf("within the backoff: %v, want the remembered error", err2)
	}
	if n := v.sent(k8sLogin); n != 1 {
		t.Fatalf("%d logins within the backoff, want 1", n)
	}

	clk.Advance(2 * time.Second)
	v.with(func() { v.loginCode = 0 })
	if err := c.CheckToken(t.Context()); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
	if n := v.sent(k8sLogin); n != 2 {
		t.Fatalf("%d logins after the backoff, want 2", n)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.logins) != 2 || obs.logins[0] != string(CategoryAuth) || obs.logins[1] != "success" {
		t.Fatalf("login results reported = %v, want [auth_failed success]", obs.logins)
	}
}

// expectLoginsAfter advances clk by d-1s (no login may be tried) and by
// 1s more (one login must be tried), and checks the login count.
func expectLoginsAfter(t *testing.T, v *vaultServer, c *Client, clk *clock, d time.Duration, logins int) {
	t.Helper()
	clk.Advance(d - time.Second)
	_ = c.CheckToken(t.Context())
	if n := v.sent(k8sLogin); n != logins-1 {
		t.Fatalf("%d logins %s after the last one, want %d: none is due before %s", n, d-time.Second, logins-1, d)
	}
	clk.Advance(time.Second)
	_ = c.CheckToken(t.Context())
	if n := v.sent(k8sLogin); n != logins {
		t.Fatalf("%d logins, want %d: a login is due %s after the last one", n, logins, d)
	}
}

func TestLoginBackoffDoublesWithEachFailureUpToFiveMinutes(t *testing.T) {
	v := newVaultServer(t)
	v.loginCode = 400
	c, clk := newTestClient(t, v)
	if err := c.CheckToken(t.Context()); !IsCategory(err, CategoryAuth) {
		t.Fatalf("first login = %v, want refused", err)
	}
	logins := 1
	for _, d := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second,
		80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute} {
		logins++
		expectLoginsAfter(t, v, c, clk, d, logins)
	}

	// A success resets the backoff: the next failure is remembered for 5s again.
	v.with(func() { v.loginCode = 0 })
	logins++
	expectLoginsAfter(t, v, c, clk, 5*time.Minute, logins)
	v.with(func() { v.loginCode = 400 })
	v.revokeTokens()
	if err := c.CheckToken(t.Context()); !IsCategory(err, CategoryAuth) {
		t.Fatalf("login after the token was lost = %v, want refused", err)
	}
	logins++
	logins++
	expectLoginsAfter(t, v, c, clk, loginBackoff, logins)
}

// abandonedLogin starts a login held at Vault (until release) by a caller
// that gives up once it is under way, e.g. a readiness probe whose request
// the kubelet abandoned after its timeout; done gets what that caller got.
func abandonedLogin(t *testing.T) (v *vaultServer, c *Client, release func(), done <-chan error) {
	v = newVaultServer(t)
	gate, release := newGate(t)
	v.loginGate = gate
	c, _ = newTestClient(t, v)
	probe, cancel := context.WithCancel(t.Context())
	result := make(chan error, 1)
	go func() {
		_, err := c.APIClient(probe)
		result <- err
	}()
	eventually(t, "the login reaches Vault", func() bool { return v.sent(k8sLogin) >= 1 })
	cancel()
	return v, c, release, result
}

func TestSharedLoginOutlivesTheCallerThatStartedIt(t *testing.T) {
	v, c, release, done := abandonedLogin(t)
	release()
	<-done

	if _, err := c.APIClient(t.Context()); err != nil {
		t.Fatalf("the next caller got %v: another caller's cancellation failed the login", err)
	}
	if n := v.sent(k8sLogin); n != 1 {
		t.Fatalf("%d logins, want 1: the shared login must finish although its first caller left", n)
	}
}

func TestLoginTimeoutIsNotRememberedAsAFailure(t *testing.T) {
	v := newVaultServer(t)
	gate, release := newGate(t)
	v.loginGate = gate
	c, _ := newTestClient(t, v)
	c.Session.timeout = 50 * time.Millisecond

	if _, err := c.APIClient(t.Context()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("login that timed out = %v, want the deadline", err)
	}
	release()
	if _, err := c.APIClient(t.Context()); err != nil {
		t.Fatalf("the next caller got %v: a timed-out login was remembered as a failure", err)
	}
	if n := v.sent(k8sLogin); n != 2 {
		t.Fatalf("%d logins, want 2 (the next caller logs in at once)", n)
	}
}

func TestCallerGivingUpDoesNotWaitForTheSharedLogin(t *testing.T) {
	_, _, _, done := abandonedLogin(t)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("abandoned caller got %v, want its own cancellation", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the caller that gave up is still waiting for the login")
	}
}
