package lease

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Book is the operator's memory of leases between reconciles: which token
// generation each lease was last seen alive under, which VaultApps hold
// leases of which Vault identity (so that they can be woken when that
// identity's token is replaced), and the record last written per Secret.
type Book struct {
	mu       sync.Mutex
	verified map[string]uint64
	holders  map[vault.Identity]map[types.NamespacedName]struct{}
	records  map[types.NamespacedName]string
}

// NewBook returns an empty book.
func NewBook() *Book {
	return &Book{verified: map[string]uint64{}, holders: map[vault.Identity]map[types.NamespacedName]struct{}{},
		records: map[types.NamespacedName]string{}}
}

// SetWritten remembers the lease record last written to a Secret (only
// Secrets with a record are remembered).
func (b *Book) SetWritten(secret types.NamespacedName, record string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if record == "" {
		delete(b.records, secret)
		return
	}
	b.records[secret] = record
}

// Written returns the record last written to a Secret by this process.
func (b *Book) Written(secret types.NamespacedName) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.records[secret]
	return r, ok
}

// VerifiedUnder reports whether lease id was seen alive under token generation gen.
func (b *Book) VerifiedUnder(id string, gen uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	g, ok := b.verified[id]
	return ok && g == gen
}

// MarkVerified records that lease id was seen alive under generation gen.
func (b *Book) MarkVerified(id string, gen uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.verified[id] = gen
}

// Forget drops leases that ended.
func (b *Book) Forget(ids ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		delete(b.verified, id)
	}
}

// SetHolder records whether app holds leases of id. It returns the
// identities that, by app letting go, no longer have any holder: their
// sessions may release their leases (stored token, token checks).
func (b *Book) SetHolder(id vault.Identity, app types.NamespacedName, holds bool) (released []vault.Identity) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !holds {
		for i, apps := range b.holders {
			if _, ok := apps[app]; !ok {
				continue
			}
			delete(apps, app)
			if len(apps) == 0 {
				delete(b.holders, i)
				released = append(released, i)
			}
		}
		return released
	}
	if b.holders[id] == nil {
		b.holders[id] = map[types.NamespacedName]struct{}{}
	}
	b.holders[id][app] = struct{}{}
	return nil
}

// ForgetApp drops what is remembered of a deleted VaultApp whose Secret is
// secret, returning the identities left without holders.
func (b *Book) ForgetApp(app, secret types.NamespacedName) []vault.Identity {
	b.SetWritten(secret, "")
	return b.SetHolder(vault.Identity{}, app, false)
}

// HoldersOf lists the VaultApps holding leases of id.
func (b *Book) HoldersOf(id vault.Identity) []types.NamespacedName {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]types.NamespacedName, 0, len(b.holders[id]))
	for k := range b.holders[id] {
		out = append(out, k)
	}
	return out
}
