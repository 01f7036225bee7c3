package vault

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-logr/logr"
	vaultapi "github.com/hashicorp/vault/api"
	authk8s "github.com/hashicorp/vault/api/auth/kubernetes"
)

// Identity is who the operator is when it talks to Vault: a Kubernetes auth
// role at an auth mount, logged in with either the operator's own
// service-account token (ServiceAccount empty) or a workload's.
type Identity struct {
	AuthPath       string
	Role           string
	Namespace      string
	ServiceAccount string
}

// loginBackoff is how long a failed login is remembered: a wrong role must
// not turn a thousand queued reconciles into a thousand logins.
const loginBackoff = 5 * time.Second

// Session is one authenticated, cached, self-renewing Vault client for one
// Identity. The token is obtained on first use, renewed by Vault's
// LifetimeWatcher while renewable, and replaced by a fresh login when it
// expires or Vault reports it revoked. Safe for concurrent use.
type Session struct {
	id     Identity
	base   *vaultapi.Client
	jwt    JWTSource
	obs    Observer
	mounts *mountCache
	log    logr.Logger
	now    func() time.Time

	mu        sync.Mutex
	client    *vaultapi.Client // nil until logged in, and after the token is lost
	expires   time.Time        // zero: no expiry
	stopRenew func()
	failedAt  time.Time
	failErr   error
}

// Identity returns who this session logs in as.
func (s *Session) Identity() Identity { return s.id }

// Client returns a client carrying a valid token, logging in if needed.
// Concurrent callers wait for one login instead of each doing their own.
func (s *Session) Client(ctx context.Context) (*vaultapi.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.client != nil && (s.expires.IsZero() || now.Before(s.expires)) {
		return s.client, nil
	}
	if s.failErr != nil && now.Sub(s.failedAt) < loginBackoff {
		return nil, s.failErr
	}
	c, err := s.login(ctx)
	if err != nil {
		s.failedAt, s.failErr = now, err
		return nil, err
	}
	s.failErr = nil
	return c, nil
}

// login must be called with s.mu held.
func (s *Session) login(ctx context.Context) (*vaultapi.Client, error) {
	s.dropLocked()
	jwt, err := s.jwt.JWT(ctx)
	if err != nil {
		s.obs.Login(string(CategoryAuth))
		return nil, &Error{Category: CategoryAuth, Op: "login", Err: err}
	}
	c, err := s.base.Clone()
	if err != nil {
		return nil, err
	}
	method, err := authk8s.NewKubernetesAuth(s.id.Role, authk8s.WithServiceAccountToken(jwt), authk8s.WithMountPath(s.id.AuthPath))
	if err != nil {
		return nil, &Error{Category: CategoryAuth, Op: "login", Err: err}
	}
	secret, err := c.Auth().Login(ctx, method)
	if err != nil {
		cerr := classify("login", "auth/"+s.id.AuthPath+"/login", err)
		s.obs.Login(string(CategoryOf(cerr)))
		return nil, cerr
	}
	if secret == nil || secret.Auth == nil {
		s.obs.Login(string(CategoryAuth))
		return nil, &Error{Category: CategoryAuth, Op: "login", Err: errors.New("vault returned no token")}
	}
	s.obs.Login("success")
	ttl := time.Duration(secret.Auth.LeaseDuration) * time.Second
	if ttl > 0 {
		// Stop using the token a little before Vault would reject it.
		s.expires = s.now().Add(ttl - ttl/10)
	}
	s.client = c
	s.log.V(1).Info("logged in to vault", "role", s.id.Role, "authPath", s.id.AuthPath, "ttl", ttl.String(), "renewable", secret.Auth.Renewable)
	if secret.Auth.Renewable && ttl > 0 {
		s.watch(c, secret)
	}
	return c, nil
}

// watch renews the token in the background. When renewal ends (max TTL
// reached, or the token is gone) the session forgets the client, so the
// next use logs in again. Nothing logs in while idle.
func (s *Session) watch(c *vaultapi.Client, secret *vaultapi.Secret) {
	w, err := c.NewLifetimeWatcher(&vaultapi.LifetimeWatcherInput{Secret: secret})
	if err != nil {
		s.log.Error(err, "cannot renew vault token; it will be replaced at expiry", "role", s.id.Role)
		return
	}
	go w.Start()
	s.stopRenew = w.Stop
	go func() {
		for {
			select {
			case err := <-w.DoneCh():
				if err != nil {
					s.log.Info("vault token renewal stopped; logging in again on next use", "role", s.id.Role, "reason", err.Error())
				}
				s.invalidate(c)
				return
			case r := <-w.RenewCh():
				if r != nil && r.Secret != nil && r.Secret.Auth != nil {
					ttl := time.Duration(r.Secret.Auth.LeaseDuration) * time.Second
					s.mu.Lock()
					if s.client == c {
						s.expires = s.now().Add(ttl - ttl/10)
					}
					s.mu.Unlock()
				}
			}
		}
	}()
}

// invalidate forgets c if it is still the session's client.
func (s *Session) invalidate(c *vaultapi.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == c {
		s.dropLocked()
	}
}

func (s *Session) dropLocked() {
	if s.stopRenew != nil {
		s.stopRenew()
		s.stopRenew = nil
	}
	s.client = nil
	s.expires = time.Time{}
}

// Close stops renewal. The token is left to expire on its own.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLocked()
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
	c, err := s.Client(ctx)
	if err != nil {
		return err
	}
	err = classify(op, path, fn(c))
	if !IsCategory(err, CategoryPermissionDenied) || s.tokenValid(ctx, c) {
		return err
	}
	s.log.Info("vault token was revoked or expired; logging in again", "role", s.id.Role)
	s.invalidate(c)
	if c, err = s.Client(ctx); err != nil {
		return err
	}
	return classify(op, path, fn(c))
}

func (s *Session) tokenValid(ctx context.Context, c *vaultapi.Client) bool {
	_, err := c.Auth().Token().LookupSelfWithContext(ctx)
	var re *vaultapi.ResponseError
	return !(errors.As(err, &re) && re.StatusCode == 403)
}
