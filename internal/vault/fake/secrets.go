package fake

import (
	"context"
	"fmt"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

var (
	_ vault.SecretSource = (*Vault)(nil)
	_ vault.LeaseClient  = (*Vault)(nil)
	_ vault.TokenHolder  = (*Vault)(nil)
)

// Reads counts the reads (and issues) of a path.
func (f *Vault) Reads(path string) int { f.mu.Lock(); defer f.mu.Unlock(); return f.reads[path] }

// TotalReads counts every read and issue.
func (f *Vault) TotalReads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.reads {
		n += c
	}
	return n
}

// Revoked lists the revoked lease ids; Renewals counts renewals.
func (f *Vault) Revoked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.revoked...)
}
func (f *Vault) Renewals() int { f.mu.Lock(); defer f.mu.Unlock(); return f.renewed }

// LeaseAlive reports whether Vault still knows lease id.
func (f *Vault) LeaseAlive(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.leases[id]
	return ok
}

func (f *Vault) ReadSecret(ctx context.Context, path string) (*vault.SecretData, error) {
	if _, version, ok := f.kvMount(path); ok {
		loc, err := f.ResolveKV(ctx, path)
		if err != nil {
			return nil, err
		}
		kv, err := f.ReadKV(ctx, loc)
		if err != nil {
			return nil, err
		}
		return &vault.SecretData{Data: kv.Data, KVVersion: version}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("read"); err != nil {
		return nil, err
	}
	f.reads[path]++
	d, ok := f.engine[path]
	if !ok {
		return nil, notFound("read", path)
	}
	return f.withLease(path, clone(d)), nil
}

func (f *Vault) kvMount(path string) (string, int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mountOf(path)
}

// withLease makes a dynamic path's answer carry a new lease. Call with f.mu held.
func (f *Vault) withLease(path string, data map[string]any) *vault.SecretData {
	sd := &vault.SecretData{Data: data}
	if ttl, ok := f.leaseTTL[path]; ok {
		sd.LeaseID = fmt.Sprintf("%s/%d", path, f.reads[path])
		sd.LeaseDuration, sd.Renewable = ttl, true
		f.leases[sd.LeaseID] = time.Now().Add(ttl)
	}
	return sd
}

func (f *Vault) IssueSecret(ctx context.Context, path string, params map[string]any) (*vault.SecretData, error) {
	f.mu.Lock()
	issue := f.issue
	err := f.failure("issue")
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if issue == nil {
		return f.ReadSecret(ctx, path)
	}
	data, err := issue(path, params)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads[path]++
	return f.withLease(path, data), nil
}

func (f *Vault) LookupLease(_ context.Context, id string) (*vault.LeaseInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("lookup"); err != nil {
		return nil, err
	}
	exp, ok := f.leases[id]
	if !ok {
		return nil, notFound("lease lookup", "sys/leases/lookup")
	}
	return &vault.LeaseInfo{ID: id, ExpireTime: exp, TTL: time.Until(exp), Renewable: true}, nil
}

func (f *Vault) RenewLease(_ context.Context, id string, inc time.Duration) (*vault.LeaseInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("renew"); err != nil {
		return nil, err
	}
	if _, ok := f.leases[id]; !ok {
		return nil, notFound("lease renew", "sys/leases/renew")
	}
	f.renewed++
	f.leases[id] = time.Now().Add(inc)
	return &vault.LeaseInfo{ID: id, ExpireTime: f.leases[id], TTL: inc, Renewable: true}, nil
}

func (f *Vault) RevokeLease(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("revoke"); err != nil {
		return err
	}
	delete(f.leases, id)
	f.revoked = append(f.revoked, id)
	return nil
}

// ReleaseLeases records that no VaultApp needs this identity's leases.
func (f *Vault) ReleaseLeases(context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released++
}

// Released counts ReleaseLeases calls.
func (f *Vault) Released() int { f.mu.Lock(); defer f.mu.Unlock(); return f.released }
