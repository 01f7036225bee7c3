package vault

import (
	"strings"
	"testing"
	"time"
)

// TestVault is the in-memory Vault HTTP server behind a real Client, for
// the contract test (package vault_test) that holds the fake
// (internal/vault/fake) to the behaviour of the real client.
type TestVault struct {
	v      *vaultServer
	Client *Client
}

// NewTestVault starts a server and logs a client in to it.
func NewTestVault(t *testing.T) *TestVault {
	v := newVaultServer(t)
	c, _ := newTestClient(t, v)
	return &TestVault{v: v, Client: c}
}

// PutKV stores data at a user path of the "secret" (KV v2) or "kv1"
// (KV v1) mount as someone else (owner.Name "": no owner metadata), like the
// fake's PutKV.
func (tv *TestVault) PutKV(path string, data map[string]any, owner Owner) {
	tv.v.with(func() {
		if rest, ok := strings.CutPrefix(path, "secret/"); ok {
			e := &kv2Entry{data: data, version: 1}
			if owner.Name != "" {
				e.custom = OwnerMetadata(owner)
			}
			tv.v.kv2["secret/"+strings.TrimPrefix(rest, "data/")] = e
			return
		}
		tv.v.kv1[path] = data
	})
}

// SetEngine makes reads of path return data, with a lease of ttl when ttl > 0.
func (tv *TestVault) SetEngine(path string, data map[string]any, ttl time.Duration) {
	tv.v.with(func() { tv.v.engine[path] = engineSecret{data: data, leaseTTL: int(ttl.Seconds())} })
}
