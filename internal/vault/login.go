package vault

import (
	"context"
	"errors"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	authk8s "github.com/hashicorp/vault/api/auth/kubernetes"
)

// login presents the identity's service-account token to its auth method
// and returns a client carrying the new Vault token.
func (s *Session) login(ctx context.Context) (*vaultapi.Client, *vaultapi.Secret, error) {
	jwt, err := s.jwt.JWT(ctx)
	if err != nil {
		s.obs.Login(string(CategoryAuth))
		return nil, nil, &Error{Category: CategoryAuth, Op: "login", Err: err}
	}
	c, err := s.base.Clone()
	if err != nil {
		return nil, nil, err
	}
	secret, err := s.authenticate(ctx, c, jwt)
	if err != nil {
		cerr := classify("login", "auth/"+s.id.AuthPath+"/login", err)
		s.obs.Login(string(CategoryOf(cerr)))
		return nil, nil, cerr
	}
	if secret == nil || secret.Auth == nil {
		s.obs.Login(string(CategoryAuth))
		return nil, nil, &Error{Category: CategoryAuth, Op: "login", Err: errors.New("vault returned no token")}
	}
	s.obs.Login("success")
	s.log.V(1).Info("logged in to vault", "vaultRole", s.id.Role, "authPath", s.id.AuthPath,
		"ttl", (time.Duration(secret.Auth.LeaseDuration) * time.Second).String(), "renewable", secret.Auth.Renewable)
	return c, secret, nil
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

// renew keeps c's token alive in the background with Vault's
// LifetimeWatcher. When renewal ends (max TTL reached, or the token is
// gone) the session forgets the client, so the next use logs in again.
// Nothing logs in while idle.
func (s *Session) renew(c *vaultapi.Client, secret *vaultapi.Secret) {
	w, err := c.NewLifetimeWatcher(&vaultapi.LifetimeWatcherInput{Secret: secret})
	if err != nil {
		s.log.Error(err, "cannot renew vault token; it will be replaced at expiry", "vaultRole", s.id.Role)
		return
	}
	s.mu.Lock()
	if s.api != c { // replaced meanwhile
		s.mu.Unlock()
		return
	}
	s.stop = w.Stop
	s.mu.Unlock()
	go w.Start()
	go func() {
		for {
			select {
			case err := <-w.DoneCh():
				if err != nil {
					s.log.Info("vault token renewal stopped; logging in again on next use", "vaultRole", s.id.Role, "reason", err.Error())
				}
				s.invalidate(c)
				return
			case r := <-w.RenewCh():
				s.renewed(c, r)
			}
		}
	}()
}

// renewed moves the expiry of c's token after a renewal.
func (s *Session) renewed(c *vaultapi.Client, r *vaultapi.RenewOutput) {
	if r == nil || r.Secret == nil || r.Secret.Auth == nil {
		return
	}
	ttl := time.Duration(r.Secret.Auth.LeaseDuration) * time.Second
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.api == c {
		s.expires = s.now().Add(ttl - ttl/10)
	}
}
