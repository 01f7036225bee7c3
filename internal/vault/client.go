package vault

import (
	"context"
	"time"
)

// Client is everything the operator does in Vault as one identity, by
// concern: the Session (login and token lifecycle), KV (push sync's KV
// access with ownership), Secrets (reads and issues of any engine) and
// Leases. Controllers depend on the narrow interfaces below, not on Client.
type Client struct {
	*Session
	*KV
	*Secrets
	*Leases
}

// KVStore is the part of Vault push sync uses: KV access with ownership.
type KVStore interface {
	ResolveKV(ctx context.Context, path string) (Location, error)
	ReadKV(ctx context.Context, loc Location) (*KVSecret, error)
	WriteOwned(ctx context.Context, loc Location, data map[string]any, owner Owner, exp Expect) (int, error)
	// Holds reports whether loc still holds what the record says was written.
	Holds(ctx context.Context, loc Location, owner Owner, exp Expect, data map[string]any) (bool, error)
	DeleteOwned(ctx context.Context, loc Location, owner Owner) error
	// VerifyLocation checks a recorded location against the mount table.
	VerifyLocation(ctx context.Context, loc Location) error
	// Release marks owner's secret as left behind on purpose.
	Release(ctx context.Context, loc Location, owner Owner) error
}

// SecretSource reads and issues secrets of any engine (VaultApps).
type SecretSource interface {
	ReadSecret(ctx context.Context, path string) (*SecretData, error)
	IssueSecret(ctx context.Context, path string, params map[string]any) (*SecretData, error)
}

// LeaseClient looks up, renews and revokes leases.
type LeaseClient interface {
	LookupLease(ctx context.Context, id string) (*LeaseInfo, error)
	RenewLease(ctx context.Context, id string, increment time.Duration) (*LeaseInfo, error)
	RevokeLease(ctx context.Context, id string) error
}

// TokenHolder says which token issued a lease: leases die with their token.
type TokenHolder interface {
	Identity() Identity
	// Generation counts the identity's tokens.
	Generation() uint64
}

var (
	_ KVStore      = (*Client)(nil)
	_ SecretSource = (*Client)(nil)
	_ LeaseClient  = (*Client)(nil)
	_ TokenHolder  = (*Client)(nil)
)
