package vault

import (
	"context"
	"sync"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// TokenStore keeps the token of a session that issued leases, so that the
// next operator process (after a restart or a leader change) adopts it and
// keeps renewing it: Vault revokes a token's leases when the token ends,
// and a token nobody renews ends at its TTL.
type TokenStore interface {
	Load(ctx context.Context, id Identity) (string, error)
	Save(ctx context.Context, id Identity, token string) error
	// Delete forgets the identity's token (no lease needs it any more).
	Delete(ctx context.Context, id Identity) error
}

// leaseHolding is what changes for a session once it issued a lease: its
// token is stored (for the next process), checked every interval (Vault
// revokes leases with their token and sends no notice), and its
// replacement is announced to the lease holders. Sessions that never issue
// a lease do none of this (zero idle requests).
type leaseHolding struct {
	tokens     TokenStore // nil: tokens are not kept
	every      time.Duration
	onReplaced func(Identity)

	mu        sync.Mutex
	holds     bool
	adopted   bool   // the stored token was tried
	persisted string // the token last stored
	stopCheck chan struct{}
}

// adopt tries the stored token of the session's identity once: when Vault
// still knows it, the session uses it instead of logging in.
func (h *leaseHolding) adopt(ctx context.Context, s *Session) (*vaultapi.Client, *vaultapi.Secret) {
	h.mu.Lock()
	if h.tokens == nil || h.adopted {
		h.mu.Unlock()
		return nil, nil
	}
	h.adopted = true
	h.mu.Unlock()
	tok, err := h.tokens.Load(ctx, s.id)
	if err != nil || tok == "" {
		return nil, nil
	}
	c, err := s.base.Clone()
	if err != nil {
		return nil, nil
	}
	c.SetToken(tok)
	info, err := c.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil || info == nil {
		return nil, nil // gone: log in as usual
	}
	ttl, _ := info.TokenTTL()
	renewable, _ := info.TokenIsRenewable()
	if ttl <= 0 {
		return nil, nil
	}
	h.mu.Lock()
	h.persisted = tok
	h.mu.Unlock()
	return c, &vaultapi.Secret{Auth: &vaultapi.SecretAuth{ClientToken: tok, Renewable: renewable, LeaseDuration: int(ttl.Seconds())}}
}

// issued marks the session as the issuer of leases: from then on its token
// is stored and checked.
func (s *Session) holdsLeases(ctx context.Context) {
	h := s.leases
	h.mu.Lock()
	if h.holds {
		h.mu.Unlock()
		return
	}
	h.holds = true
	if h.every > 0 {
		h.stopCheck = make(chan struct{})
		go s.checkTokenEvery(h.every, h.stopCheck)
	}
	h.mu.Unlock()
	s.mu.Lock()
	c := s.api
	s.mu.Unlock()
	if c != nil {
		h.store(ctx, s, c.Token())
	}
}

// store saves tok once, for sessions that hold leases. Never called with
// the session's mutex held: the store is a Kubernetes write.
func (h *leaseHolding) store(ctx context.Context, s *Session, tok string) {
	h.mu.Lock()
	skip := h.tokens == nil || !h.holds || tok == h.persisted
	h.mu.Unlock()
	if skip {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.tokens.Save(ctx, s.id, tok); err != nil {
		s.log.Error(err, "cannot store the vault token; after a restart its leases are replaced when it expires", "vaultRole", s.id.Role)
		return
	}
	h.mu.Lock()
	h.persisted = tok
	h.mu.Unlock()
}

// ReleaseLeases tells the session that none of its leases is needed any
// more (their VaultApps are gone or use other credentials): it stops
// checking its token and deletes the stored one, and becomes evictable
// when idle (Pool). A later lease makes it a holder again.
func (s *Session) ReleaseLeases(ctx context.Context) {
	h := s.leases
	h.mu.Lock()
	if !h.holds {
		h.mu.Unlock()
		return
	}
	h.holds = false
	if h.stopCheck != nil {
		close(h.stopCheck)
		h.stopCheck = nil
	}
	stored := h.persisted != ""
	h.persisted = ""
	h.mu.Unlock()
	if stored && h.tokens != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := h.tokens.Delete(ctx, s.id); err != nil {
			s.log.Info("cannot delete the stored vault token; it is deleted when the session next releases its leases", "vaultRole", s.id.Role, "reason", err.Error())
		}
	}
}

// holding reports whether the session holds leases.
func (h *leaseHolding) holding() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.holds
}

// tokenReplaced tells the lease holders that the leases of the old token
// died with it (or will, when it expires): they must look them up now.
func (h *leaseHolding) tokenReplaced(s *Session) {
	h.mu.Lock()
	holds := h.holds
	h.mu.Unlock()
	if holds && h.onReplaced != nil {
		go h.onReplaced(s.id)
	}
}

func (h *leaseHolding) stopWatching() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopCheck != nil {
		close(h.stopCheck)
		h.stopCheck = nil
	}
}

// checkTokenEvery looks the token up; when Vault no longer knows it, the
// session logs in again at once, which tells the lease holders so that
// they re-issue within seconds, not at their next renewal.
func (s *Session) checkTokenEvery(every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		c := s.api
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), every)
		if c == nil || !tokenValid(ctx, c) {
			if c != nil {
				s.log.Info("vault token was revoked; logging in again and re-checking the leases it issued", "vaultRole", s.id.Role)
				s.invalidate(c)
			}
			if _, err := s.APIClient(ctx); err != nil {
				s.log.Info("vault login failed; retrying", "vaultRole", s.id.Role, "reason", err.Error())
			}
		}
		cancel()
	}
}
