package vault

import (
	"context"
	"time"
)

// SecretData is what a read of any secrets engine returned: the key/value
// data, and for dynamic engines the lease that came with it.
type SecretData struct {
	Data map[string]any
	// KVVersion is 1 or 2 for KV mounts, 0 for other engines.
	KVVersion int
	// LeaseID, LeaseDuration and Renewable describe a dynamic secret's lease.
	LeaseID       string
	LeaseDuration time.Duration
	Renewable     bool
}

// ReadSecret reads a secret from any engine. KV mounts are detected from
// the mount table, so both "kv/data/app" and "kv/app" read the KV v2 secret
// "app", and a soft-deleted or destroyed latest version is an error
// (CategoryNotFound), never empty data. Other engines are read as is.
func (s *Session) ReadSecret(ctx context.Context, path string) (*SecretData, error) {
	if err := ValidatePath(path); err != nil {
		return nil, &Error{Category: CategoryInvalidPath, Op: "read", Err: err}
	}
	m, err := s.mountOf(ctx, path)
	if err != nil {
		return nil, err
	}
	if m.version != 0 {
		loc, err := locate(path, m)
		if err != nil {
			return nil, err
		}
		kv, err := s.ReadKV(ctx, loc)
		if err != nil {
			return nil, err
		}
		return &SecretData{Data: kv.Data, KVVersion: m.version}, nil
	}
	sec, err := s.Read(ctx, path)
	if err != nil {
		return nil, err
	}
	if sec.LeaseID != "" {
		s.holdsLeases()
	}
	return &SecretData{Data: sec.Data, LeaseID: sec.LeaseID,
		LeaseDuration: time.Duration(sec.LeaseDuration) * time.Second, Renewable: sec.Renewable}, nil
}
