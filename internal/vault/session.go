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

// Identity is who the operator is when it talks to Vault: a role of a
// Kubernetes or JWT auth method at an auth mount, logged in with either the
// operator's own service-account token (ServiceAccount empty) or a
// workload's.
type Identity struct {
	// Method is AuthKubernetes (default when empty) or AuthJWT.
	Method         string
	AuthPath       string
	Role           string
	Namespace      string
	ServiceAccount string
}

// Auth methods a session can log in with.
const (
	// AuthKubernetes: Vault checks the service-account token with the
	// apiserver's TokenReview API.
	AuthKubernetes = "kubernetes"
	// AuthJWT: Vault checks the token's signature against the cluster's
	// OIDC issuer keys itself (no token reviewer).
	AuthJWT = "jwt"
)

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

	// tokenCheck is how often a session that holds leases checks its token,
	// and onReplaced is told when a lease holder's token was replaced.
	tokenCheck time.Duration
	onReplaced func(Identity)
	// tokens persists the token of a session that holds leases.
	tokens TokenStore
	// maxRequest is Vault's request size limit (bytes; 0: unchecked).
	maxRequest int64

	mu         sync.Mutex
	client     *vaultapi.Client // nil until logged in, and after the token is lost
	expires    time.Time        // zero: no expiry
	stopRenew  func()
	failedAt   time.Time
	failErr    error
	generation uint64 // counts logins: leases belong to the token of one generation
	leases     bool   // a lease was issued through this session
	stopWatch  chan struct{}
	adopted    bool   // the stored token was tried
	persisted  string // the token last stored
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
	if c := s.adopt(ctx); c != nil {
		return c, nil
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
	secret, err := s.authenticate(ctx, c, jwt)
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
	s.generation++
	s.persist()
	if s.generation > 1 && s.leases && s.onReplaced != nil {
		// Vault revoked the leases of the old token with it (or will, when
		// it expires): their holders must look them up now.
		go s.onReplaced(s.id)
	}
	s.log.V(1).Info("logged in to vault", "role", s.id.Role, "authPath", s.id.AuthPath, "ttl", ttl.String(), "renewable", secret.Auth.Renewable)
	if secret.Auth.Renewable && ttl > 0 {
		s.watch(c, secret)
	}
	return c, nil
}

// authenticate logs c in with the auth method of the session's identity.
func (s *Session) authenticate(ctx context.Context, c *vaultapi.Client, jwt string) (*vaultapi.Secret, error) {
	if s.id.Method == AuthJWT {
		// The JWT method has no helper in vault/api/auth; its login is one write.
		secret, err := c.Logical().WriteWithContext(ctx, "auth/"+s.id.AuthPath+"/login", map[string]any{"role": s.id.Role, "jwt": jwt})
		if err == nil && secret != nil && secret.Auth != nil {
			c.SetToken(secret.Auth.ClientToken)
		}
		return secret, err
	}
	method, err := authk8s.NewKubernetesAuth(s.id.Role, authk8s.WithServiceAccountToken(jwt), authk8s.WithMountPath(s.id.AuthPath))
	if err != nil {
		return nil, &Error{Category: CategoryAuth, Op: "login", Err: err}
	}
	return c.Auth().Login(ctx, method)
}

// Generation counts the session's logins. A lease issued under one
// generation dies with that token; a holder that sees the generation move
// must check its leases.
func (s *Session) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generation
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

// Close stops renewal and the token check. The token is left to expire on
// its own.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLocked()
	if s.stopWatch != nil {
		close(s.stopWatch)
		s.stopWatch = nil
	}
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
