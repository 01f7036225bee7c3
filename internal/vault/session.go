package vault

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-logr/logr"
	vaultapi "github.com/hashicorp/vault/api"
	"golang.org/x/sync/singleflight"
)

// A failed login is remembered for loginBackoff, doubling with each
// failure in a row up to maxLoginBackoff: a wrong role (or, with workload
// identity, a deleted service account) must not turn a thousand queued
// reconciles into a thousand logins, nor retry at a fixed pace forever.
const (
	loginBackoff    = 5 * time.Second
	maxLoginBackoff = 5 * time.Minute
)

// Session is one identity's authenticated, cached, self-renewing Vault
// token: obtained on first use (a stored token adopted, or a login),
// renewed by Vault's LifetimeWatcher while renewable, and replaced by a
// fresh login when it expires or Vault reports it revoked. It knows nothing
// of secrets engines: KV, Secrets and Leases act through it. Safe for
// concurrent use; no request is sent while its mutex is held.
type Session struct {
	id   Identity
	base *vaultapi.Client
	jwt  JWTSource
	obs  Observer
	log  logr.Logger
	now  func() time.Time
	// timeout bounds a login (the configured request timeout).
	timeout time.Duration

	// logins makes concurrent callers wait for one login instead of each
	// doing their own.
	logins singleflight.Group
	// leases watches the token of a session that issued leases, and stores it.
	leases *leaseHolding

	mu       sync.Mutex
	api      *vaultapi.Client // nil until logged in, and after the token is lost
	expires  time.Time        // zero: no expiry
	stop     func()           // stops the renewal of api's token
	failedAt time.Time
	failErr  error
	failures int // logins failed in a row
	// generation counts tokens: leases belong to the token of one generation.
	generation uint64
	lastUsed   time.Time
}

// Identity returns who this session logs in as.
func (s *Session) Identity() Identity { return s.id }

// Generation counts the session's tokens. A lease issued under one
// generation dies with that token; a holder that sees the generation move
// must check its leases.
func (s *Session) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generation
}

// APIClient returns a client carrying a valid token, adopting a stored
// token or logging in if needed.
func (s *Session) APIClient(ctx context.Context) (*vaultapi.Client, error) {
	if c, err, ok := s.cached(); ok {
		return c, err
	}
	ch := s.logins.DoChan("login", func() (any, error) {
		if c, err, ok := s.cached(); ok { // another caller finished meanwhile
			return c, err
		}
		// The login is shared by every caller waiting for it: it runs on a
		// context of its own, so that one caller giving up (a probe's short
		// timeout) does not fail the others.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		return s.obtain(lctx)
	})
	select {
	case <-ctx.Done(): // this caller gives up; the login goes on for the others
		return nil, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*vaultapi.Client), nil
	}
}

// cached returns the current client, or the remembered login failure; ok
// is false when a token must be obtained.
func (s *Session) cached() (*vaultapi.Client, error, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.lastUsed = now
	if s.api != nil && (s.expires.IsZero() || now.Before(s.expires)) {
		return s.api, nil, true
	}
	if s.failErr != nil && now.Sub(s.failedAt) < s.backoffLocked() {
		return nil, s.failErr, true
	}
	return nil, nil, false
}

// backoffLocked is how long the last failed login is remembered.
func (s *Session) backoffLocked() time.Duration {
	d := loginBackoff
	for i := 1; i < s.failures && d < maxLoginBackoff; i++ {
		d *= 2
	}
	return min(d, maxLoginBackoff)
}

// idleSince reports when the session was last used, and whether it may be
// evicted (it holds no leases).
func (s *Session) idleSince() (time.Time, bool) {
	s.mu.Lock()
	last := s.lastUsed
	s.mu.Unlock()
	return last, !s.leases.holding()
}

// revoke ends the session's token in Vault: an evicted session leaves no
// live token behind.
func (s *Session) revoke(ctx context.Context) {
	s.mu.Lock()
	c := s.api
	s.dropLocked()
	s.mu.Unlock()
	if c != nil {
		_ = c.Auth().Token().RevokeSelfWithContext(ctx, "")
	}
}

// obtain adopts the stored token or logs in, then installs the token.
func (s *Session) obtain(ctx context.Context) (*vaultapi.Client, error) {
	if c, secret := s.leases.adopt(ctx, s); c != nil {
		s.install(c, secret)
		s.log.Info("adopted the vault token of the previous operator process; its leases stay valid", "vaultRole", s.id.Role)
		return c, nil
	}
	c, secret, err := s.login(ctx)
	s.mu.Lock()
	if err != nil {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			s.failedAt, s.failErr = s.now(), err // remembered: not retried before the backoff
			s.failures++
		}
		s.mu.Unlock()
		return nil, err
	}
	s.failErr, s.failures = nil, 0
	s.mu.Unlock()
	replaced := s.install(c, secret)
	if replaced {
		s.leases.tokenReplaced(s)
	}
	s.leases.store(ctx, s, c.Token())
	return c, nil
}

// install makes c the session's client and starts renewing its token.
// It reports whether it replaced an earlier token.
func (s *Session) install(c *vaultapi.Client, secret *vaultapi.Secret) (replaced bool) {
	ttl := time.Duration(secret.Auth.LeaseDuration) * time.Second
	s.mu.Lock()
	s.dropLocked()
	s.api = c
	if ttl > 0 {
		// Stop using the token a little before Vault would reject it.
		s.expires = s.now().Add(ttl - ttl/10)
	}
	s.generation++
	replaced = s.generation > 1
	s.mu.Unlock()
	if secret.Auth.Renewable && ttl > 0 {
		s.renew(c, secret)
	}
	return replaced
}

// invalidate forgets c if it is still the session's client.
func (s *Session) invalidate(c *vaultapi.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.api == c {
		s.dropLocked()
	}
}

func (s *Session) dropLocked() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	s.api = nil
	s.expires = time.Time{}
}

// Close stops renewal and the token check. The token is left to expire on
// its own (a stored token must outlive the process for its leases).
func (s *Session) Close() {
	s.mu.Lock()
	s.dropLocked()
	s.mu.Unlock()
	s.leases.stopWatching()
}

// CheckToken verifies the current token with Vault (logging in first if
// there is none). Used by the readiness probe.
func (s *Session) CheckToken(ctx context.Context) error {
	return s.do(ctx, "token lookup", "auth/token/lookup-self", func(c *vaultapi.Client) error {
		_, err := c.Auth().Token().LookupSelfWithContext(ctx)
		return err
	})
}

// do runs fn with an authenticated client. A permission-denied answer is
// checked against the token itself: if Vault no longer knows the token
// (revoked, expired early), the session logs in again and fn runs once more.
func (s *Session) do(ctx context.Context, op, path string, fn func(*vaultapi.Client) error) error {
	c, err := s.APIClient(ctx)
	if err != nil {
		return err
	}
	err = classify(op, path, fn(c))
	if !IsCategory(err, CategoryPermissionDenied) || tokenValid(ctx, c) {
		return err
	}
	s.log.Info("vault token was revoked or expired; logging in again", "vaultRole", s.id.Role)
	s.invalidate(c)
	if c, err = s.APIClient(ctx); err != nil {
		return err
	}
	return classify(op, path, fn(c))
}

// tokenValid reports whether Vault still knows c's token (a 403 on
// lookup-self means it does not; other failures are not taken as proof).
func tokenValid(ctx context.Context, c *vaultapi.Client) bool {
	_, err := c.Auth().Token().LookupSelfWithContext(ctx)
	var re *vaultapi.ResponseError
	return !(errors.As(err, &re) && re.StatusCode == 403)
}
