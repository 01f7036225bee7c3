package vaultapp

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// readCache shares static reads (KV, no lease) between the VaultApps that
// read the same path as the same Vault identity: within one refresh
// window they cost one Vault read, not one each. Dynamic secrets (a read
// that returns a lease, or an issue request) are never shared: each app
// gets its own credentials. Entries are keyed by identity, so nothing is
// shared across roles, auth mounts or service accounts.
type readCache struct {
	flight singleflight.Group
	mu     sync.Mutex
	m      map[readKey]cachedRead
	// maxAge bounds how long any entry is kept (the longest refresh interval).
	maxAge time.Duration
}

type readKey struct {
	id   string // vault.IdentityKey
	path string
}

type cachedRead struct {
	data *vault.SecretData
	at   time.Time
}

func newReadCache(maxAge time.Duration) *readCache {
	return &readCache{m: map[readKey]cachedRead{}, maxAge: maxAge}
}

// read returns the path's static data read no longer than maxAge ago by
// the same identity, or reads it (concurrent callers share one read).
// fresh skips the cache (a refresh request).
func (c *readCache) read(ctx context.Context, src vault.SecretSource, id vault.Identity, path string, maxAge time.Duration, fresh bool) (*vault.SecretData, error) {
	if c == nil {
		return src.ReadSecret(ctx, path)
	}
	k := readKey{id: vault.IdentityKey(id), path: path}
	if !fresh {
		if d, ok := c.get(k, maxAge); ok {
			return d, nil
		}
	}
	v, err, _ := c.flight.Do(k.id+"\x00"+path, func() (any, error) {
		d, err := src.ReadSecret(ctx, path)
		if err == nil && d.LeaseID == "" && d.KVVersion != 0 {
			c.put(k, d)
		}
		return d, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*vault.SecretData), nil
}

func (c *readCache) get(k readKey, maxAge time.Duration) (*vault.SecretData, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || time.Since(e.at) >= maxAge {
		return nil, false
	}
	return e.data, true
}

// put stores a read, dropping entries older than maxAge so that memory
// follows the paths in use.
func (c *readCache) put(k readKey, d *vault.SecretData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if len(c.m) > 0 && len(c.m)%256 == 0 {
		for key, e := range c.m {
			if now.Sub(e.at) >= c.maxAge {
				delete(c.m, key)
			}
		}
	}
	c.m[k] = cachedRead{data: d, at: now}
}
