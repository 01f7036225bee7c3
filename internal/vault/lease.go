package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// Leases looks up, renews and revokes the leases of dynamic secrets
// through the session that issued them.
type Leases struct{ s *Session }

// LeaseInfo is what Vault says about a live lease.
type LeaseInfo struct {
	ID string
	// TTL is what is left of the lease; ExpireTime is when it ends.
	TTL        time.Duration
	ExpireTime time.Time
	Renewable  bool
}

// RenewLease extends a lease by increment. Vault may grant less (the
// engine's max TTL is near): the returned TTL says what was granted. A
// lease Vault no longer knows is a CategoryNotFound error.
func (l *Leases) RenewLease(ctx context.Context, id string, increment time.Duration) (*LeaseInfo, error) {
	if err := ValidateLeaseID(id); err != nil {
		return nil, err
	}
	var sec *vaultapi.Secret
	err := l.s.do(ctx, "lease renew", "sys/leases/renew", func(c *vaultapi.Client) error {
		var err error
		sec, err = c.Sys().RenewWithContext(ctx, id, int(increment.Seconds()))
		return err
	})
	if err != nil {
		return nil, leaseError(err)
	}
	l.s.holdsLeases(ctx)
	ttl := time.Duration(sec.LeaseDuration) * time.Second
	return &LeaseInfo{ID: id, TTL: ttl, ExpireTime: l.s.now().Add(ttl), Renewable: sec.Renewable}, nil
}

// LookupLease asks Vault whether a lease is alive and when it ends. A
// lease Vault no longer knows (expired, revoked, or revoked with the token
// that created it) is a CategoryNotFound error.
func (l *Leases) LookupLease(ctx context.Context, id string) (*LeaseInfo, error) {
	if err := ValidateLeaseID(id); err != nil {
		return nil, err
	}
	var sec *vaultapi.Secret
	err := l.s.do(ctx, "lease lookup", "sys/leases/lookup", func(c *vaultapi.Client) error {
		var err error
		sec, err = c.Sys().LookupWithContext(ctx, id)
		return err
	})
	if err != nil {
		return nil, leaseError(err)
	}
	info := &LeaseInfo{ID: id}
	if sec == nil || sec.Data == nil {
		return nil, &Error{Category: CategoryNotFound, Op: "lease lookup", Path: "sys/leases/lookup"}
	}
	if n, ok := sec.Data["ttl"].(json.Number); ok {
		secs, _ := n.Int64()
		info.TTL = time.Duration(secs) * time.Second
	}
	if t, ok := sec.Data["expire_time"].(string); ok {
		info.ExpireTime, _ = time.Parse(time.RFC3339Nano, t)
	}
	if info.ExpireTime.IsZero() {
		info.ExpireTime = l.s.now().Add(info.TTL)
	}
	info.Renewable, _ = sec.Data["renewable"].(bool)
	l.s.holdsLeases(ctx) // after a restart: this session now holds the lease
	return info, nil
}

// RevokeLease revokes a lease through sys/leases/revoke/<id>, so a policy
// can allow revoking exactly the leases of one engine role
// (path "sys/leases/revoke/database/creds/billing/*"). Revoking a lease
// that is already gone succeeds.
func (l *Leases) RevokeLease(ctx context.Context, id string) error {
	if err := ValidateLeaseID(id); err != nil {
		return err
	}
	path := "sys/leases/revoke/" + id
	return l.s.do(ctx, "lease revoke", path, func(c *vaultapi.Client) error {
		_, err := c.Logical().WriteWithContext(ctx, path, nil)
		return err
	})
}

// ValidateLeaseID refuses a lease id that is not a clean Vault path
// (Vault's ids are "<engine path>/<random>"): it is pasted into
// sys/leases/revoke/<id>, where ".." would reach another endpoint.
func ValidateLeaseID(id string) error {
	if err := ValidatePath(id); err != nil {
		return &Error{Category: CategoryInvalidPath, Op: "lease", Err: fmt.Errorf("invalid lease id: %w", err)}
	}
	return nil
}

// leaseError turns Vault's 400 answers for a lease it does not know into
// CategoryNotFound, and "not renewable" into CategoryInvalidRequest.
func leaseError(err error) error {
	var ve *Error
	if e, ok := err.(*Error); ok {
		ve = e
	}
	if ve != nil && ve.Category == CategoryInvalidRequest {
		d := strings.ToLower(ve.detail())
		if strings.Contains(d, "invalid lease") || strings.Contains(d, "lease not found") {
			ve.Category = CategoryNotFound
		}
	}
	return err
}
