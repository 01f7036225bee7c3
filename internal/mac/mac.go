// Package mac authenticates what the operator records on objects tenants
// can write or read: push records on Deployments, lease records on
// VaultApp Secrets, and the change-detection hashes shown on pod templates
// and status. It uses HMAC-SHA256 with a key only the operator holds (kept
// in a Secret of its own namespace), so a tenant can neither forge a record
// the operator will act on, nor confirm a guessed secret value from a hash
// that anyone with `view` can read.
package mac

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
)

// KeySize is the size of a generated key (bytes).
const KeySize = 32

// Key is the operator's HMAC key.
type Key struct{ k []byte }

// NewKey wraps raw key material (at least 16 bytes).
func NewKey(raw []byte) (Key, error) {
	if len(raw) < 16 {
		return Key{}, errors.New("hmac key shorter than 16 bytes")
	}
	return Key{k: append([]byte(nil), raw...)}, nil
}

// GenerateKey makes a new random key.
func GenerateKey() ([]byte, error) {
	b := make([]byte, KeySize)
	_, err := rand.Read(b)
	return b, err
}

// IsZero reports whether the key is unset.
func (k Key) IsZero() bool { return len(k.k) == 0 }

// Sum authenticates parts: each is length-prefixed, so ("ab","c") and
// ("a","bc") differ. The result is URL-safe base64 of the full MAC.
func (k Key) Sum(parts ...[]byte) string {
	return base64.RawURLEncoding.EncodeToString(k.sum(parts))
}

// Verify reports whether tag is Sum(parts...), in constant time.
func (k Key) Verify(tag string, parts ...[]byte) bool {
	got, err := base64.RawURLEncoding.DecodeString(tag)
	if err != nil || k.IsZero() {
		return false
	}
	return hmac.Equal(got, k.sum(parts))
}

// Digest is a short keyed hash of parts for change detection (hex, 16
// characters): it changes when the parts change, and reveals nothing to
// whoever can read it but not the key.
func (k Key) Digest(parts ...[]byte) string {
	return hex.EncodeToString(k.sum(parts))[:16]
}

func (k Key) sum(parts [][]byte) []byte {
	h := hmac.New(sha256.New, k.k)
	for _, p := range parts {
		writeLen(h, len(p))
		h.Write(p)
	}
	return h.Sum(nil)
}

func writeLen(h hash.Hash, n int) {
	var b [8]byte
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
}
