package vault

import (
	"context"
	"time"
)

// holdsLeases marks the session as the issuer of leases. From then on its
// token is checked every tokenCheck: Vault revokes a token's leases with the
// token, and sends no notice, so a revoked token must be noticed by asking.
// Sessions without leases never do this (zero idle requests).
func (s *Session) holdsLeases() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leases {
		return
	}
	s.leases = true
	s.persist()
	if s.tokenCheck <= 0 {
		return
	}
	s.stopWatch = make(chan struct{})
	go s.checkTokenEvery(s.tokenCheck, s.stopWatch)
}

// checkTokenEvery looks the token up; when Vault no longer knows it, the
// session logs in again at once, which tells the lease holders (onReplaced)
// so that they re-issue within seconds, not at their next renewal.
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
		c := s.client
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), every)
		if c == nil || !s.tokenValid(ctx, c) {
			if c != nil {
				s.log.Info("vault token was revoked; logging in again and re-checking the leases it issued", "role", s.id.Role)
				s.invalidate(c)
			}
			if _, err := s.Client(ctx); err != nil {
				s.log.Info("vault login failed; retrying", "role", s.id.Role, "reason", err.Error())
			}
		}
		cancel()
	}
}
