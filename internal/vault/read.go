package vault

import (
	"context"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
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

// Secrets reads and issues secrets of any engine through one session (what
// a VaultApp consumes). KV paths are resolved through the mount table.
type Secrets struct {
	s  *Session
	kv *KV
}

// ReadSecret reads a secret from any engine. KV mounts are detected from
// the mount table, so both "kv/data/app" and "kv/app" read the KV v2 secret
// "app", and a soft-deleted or destroyed latest version is an error
// (CategoryNotFound), never empty data. Other engines are read as is.
func (r *Secrets) ReadSecret(ctx context.Context, path string) (*SecretData, error) {
	if err := ValidatePath(path); err != nil {
		return nil, &Error{Category: CategoryInvalidPath, Op: "read", Err: err}
	}
	m, err := r.kv.mounts.of(ctx, r.s, path)
	if err != nil {
		return nil, err
	}
	if m.version != 0 {
		loc, err := locate(path, m)
		if err != nil {
			return nil, err
		}
		kv, err := r.kv.ReadKV(ctx, loc)
		if err != nil {
			return nil, err
		}
		return &SecretData{Data: kv.Data, KVVersion: m.version}, nil
	}
	sec, err := r.Read(ctx, path)
	if err != nil {
		return nil, err
	}
	if sec.LeaseID != "" {
		r.s.holdsLeases(ctx)
	}
	return secretData(sec), nil
}

// IssueSecret asks an engine that issues on write (PKI's issue/<role>, the
// Kubernetes engine's creds/<role>) for a new secret. Unlike ReadSecret it
// never consults the mount table: the path is the engine's own.
func (r *Secrets) IssueSecret(ctx context.Context, path string, params map[string]any) (*SecretData, error) {
	if err := ValidatePath(path); err != nil {
		return nil, &Error{Category: CategoryInvalidPath, Op: "issue", Err: err}
	}
	var sec *vaultapi.Secret
	err := r.s.do(ctx, "issue", path, func(c *vaultapi.Client) error {
		var err error
		sec, err = c.Logical().WriteWithContext(ctx, path, params)
		return err
	})
	if err != nil {
		return nil, err
	}
	if sec == nil || sec.Data == nil {
		return nil, &Error{Category: CategoryNotFound, Op: "issue", Path: path}
	}
	r.s.holdsLeases(ctx)
	return secretData(sec), nil
}

// Read reads any path as is (dynamic engines, KV read by raw API path).
func (r *Secrets) Read(ctx context.Context, p string) (*vaultapi.Secret, error) {
	if err := ValidatePath(p); err != nil {
		return nil, &Error{Category: CategoryInvalidPath, Op: "read", Err: err}
	}
	var out *vaultapi.Secret
	err := r.s.do(ctx, "read", p, func(c *vaultapi.Client) error {
		var err error
		out, err = c.Logical().ReadWithContext(ctx, p)
		return err
	})
	if err == nil && out == nil {
		err = &Error{Category: CategoryNotFound, Op: "read", Path: p}
	}
	return out, err
}

func secretData(sec *vaultapi.Secret) *SecretData {
	return &SecretData{Data: sec.Data, LeaseID: sec.LeaseID,
		LeaseDuration: time.Duration(sec.LeaseDuration) * time.Second, Renewable: sec.Renewable}
}
