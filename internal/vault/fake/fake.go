// Package fake is an in-memory Vault behind the same narrow interfaces the
// controllers use (vault.KVStore, vault.SecretSource, vault.LeaseClient,
// vault.TokenHolder), for unit tests of both controllers. It keeps KV
// secrets with their owner metadata, serves engine reads (optionally as
// dynamic secrets with leases), and records what was written, deleted,
// renewed and revoked, so a test can assert what happened and that nothing
// else did.
package fake

import (
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Vault is an in-memory Vault. The zero value is not usable: use New.
type Vault struct {
	mu sync.Mutex
	// mounts maps a KV mount path ("secret") to its KV version (1 or 2).
	mounts map[string]int
	kv     map[vault.Location]*kvEntry
	// engine holds what reads of non-KV paths return.
	engine map[string]map[string]any
	// leaseTTL makes reads of a path dynamic: each read issues a lease.
	leaseTTL map[string]time.Duration
	// issue answers IssueSecret (nil: like a read of the path).
	issue  func(path string, params map[string]any) (map[string]any, error)
	leases map[string]time.Time
	// failures injects an error per operation ("resolve", "read", "write",
	// "delete", "issue", "lookup", "renew", "revoke").
	failures map[string]error
	reads    map[string]int
	writes   []string
	deletes  []string
	revoked  []string
	renewed  int
	released int
	gen      uint64
	id       vault.Identity
}

type kvEntry struct {
	data    map[string]any
	custom  map[string]any
	version int
}

// New returns an empty Vault with a KV v2 mount "secret", a KV v1 mount
// "kv1", and the token generation 1, acting as identity id.
func New(id vault.Identity) *Vault {
	return &Vault{mounts: map[string]int{"secret": 2, "kv1": 1}, kv: map[vault.Location]*kvEntry{},
		engine: map[string]map[string]any{}, leaseTTL: map[string]time.Duration{}, leases: map[string]time.Time{},
		failures: map[string]error{}, reads: map[string]int{}, gen: 1, id: id}
}

// Mount adds a KV mount of the given version.
func (f *Vault) Mount(path string, version int) *Vault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mounts[path] = version
	return f
}

// SetEngine makes reads of path (a non-KV engine) return data; with ttl > 0
// every read issues a new lease of that duration.
func (f *Vault) SetEngine(path string, data map[string]any, ttl time.Duration) *Vault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.engine[path] = data
	if ttl > 0 {
		f.leaseTTL[path] = ttl
	}
	return f
}

// SetIssuer answers IssueSecret with fn.
func (f *Vault) SetIssuer(fn func(path string, params map[string]any) (map[string]any, error)) *Vault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issue = fn
	return f
}

// Fail makes every call of op fail with err (nil clears it).
func (f *Vault) Fail(op string, err error) *Vault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.failures, op)
	} else {
		f.failures[op] = err
	}
	return f
}

// ReplaceToken simulates a new token: the leases of the old one die with it.
func (f *Vault) ReplaceToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.leases = map[string]time.Time{}
}

// Identity and Generation implement vault.TokenHolder.
func (f *Vault) Identity() vault.Identity { return f.id }

func (f *Vault) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

func (f *Vault) failure(op string) error { return f.failures[op] }

// mountOf finds the KV mount of a user path.
func (f *Vault) mountOf(p string) (string, int, bool) {
	best, version := "", 0
	for m, v := range f.mounts {
		if (p == m || strings.HasPrefix(p, m+"/")) && len(m) > len(best) {
			best, version = m, v
		}
	}
	return best, version, best != ""
}

func notFound(op, path string) error {
	return &vault.Error{Category: vault.CategoryNotFound, Op: op, Path: path}
}

func clone(m map[string]any) map[string]any { return maps.Clone(m) }

func (f *Vault) String() string { return fmt.Sprintf("fake vault (%d kv secrets)", len(f.kv)) }
