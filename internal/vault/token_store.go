package vault

import (
	"context"
	"encoding/json"
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
}

// WithTokenStore persists the tokens of sessions that hold leases.
func WithTokenStore(ts TokenStore) PoolOption { return func(p *Pool) { p.tokens = ts } }

// adopt tries the stored token of the session's identity: when Vault still
// knows it, it becomes the session's token (renewed as after a login).
// Must be called with s.mu held.
func (s *Session) adopt(ctx context.Context) *vaultapi.Client {
	if s.tokens == nil || s.adopted {
		return nil
	}
	s.adopted = true
	tok, err := s.tokens.Load(ctx, s.id)
	if err != nil || tok == "" {
		return nil
	}
	c, err := s.base.Clone()
	if err != nil {
		return nil
	}
	c.SetToken(tok)
	info, err := c.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil || info == nil {
		return nil // gone: log in as usual
	}
	ttl, _ := info.TokenTTL()
	renewable, _ := info.TokenIsRenewable()
	if ttl <= 0 {
		return nil
	}
	s.client, s.expires = c, s.now().Add(ttl-ttl/10)
	s.generation++
	s.persisted = tok
	s.log.Info("adopted the vault token of the previous operator process; its leases stay valid", "role", s.id.Role, "ttl", ttl.String())
	if renewable {
		s.watch(c, &vaultapi.Secret{Auth: &vaultapi.SecretAuth{ClientToken: tok, Renewable: true, LeaseDuration: int(ttl.Seconds())}})
	}
	return c
}

// persist saves the session's token once per token, for sessions that
// hold leases. Must be called with s.mu held.
func (s *Session) persist() {
	if s.tokens == nil || !s.leases || s.client == nil || s.client.Token() == s.persisted {
		return
	}
	tok := s.client.Token()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.tokens.Save(ctx, s.id, tok); err != nil {
		s.log.Error(err, "cannot store the vault token; after a restart its leases are replaced when it expires", "role", s.id.Role)
		return
	}
	s.persisted = tok
}

// identityKey is a stable text form of an identity (for store keys).
func identityKey(id Identity) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// IdentityKey is identityKey for TokenStore implementations.
func IdentityKey(id Identity) string { return identityKey(id) }
