// Package lease is the lifecycle of a VaultApp's dynamic secrets: the
// record of which leases (and certificates) a Secret's values came from,
// when each is renewed or replaced, and the operator's memory of them
// between reconciles. It decides; the VaultApp controller acts.
package lease

import (
	"encoding/json"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Annotation, on the VaultApp's Secret, records which dynamic secrets the
// Secret's values came from. It is written in the same request as the
// values, so the record and the credentials can never disagree, whatever
// happens to the process between two requests. Anyone who may edit the
// Secret may edit it, so it is sealed with the operator's key for one
// VaultApp (its UID), and every lease id in it must belong to the path it
// is recorded for: an edited record is not acted on (its credentials are
// issued anew, nothing it names is revoked).
const Annotation = "vaultapp.techweaver.io/leases"

// Issued is one dynamic secret behind the values of a path.
type Issued struct {
	// LeaseID is empty for a certificate without a lease.
	LeaseID string `json:"leaseID,omitempty"`
	// TTL is the duration Vault granted at issue, in seconds: each renewal
	// asks for it again.
	TTL    int64     `json:"ttl,omitempty"`
	Issued time.Time `json:"issued"`
	// NotAfter and Serial describe a certificate.
	NotAfter *time.Time `json:"notAfter,omitempty"`
	Serial   string     `json:"serial,omitempty"`
	// Request is a hash of the issue request, so a changed request issues anew.
	Request string `json:"request,omitempty"`
	// Keys are the names (never the values) of the secret's keys, so that
	// a kept secret's values can be found again in the Secret.
	Keys []string `json:"keys,omitempty"`
}

// Record is the content of Annotation.
type Record struct {
	Current map[string]Issued `json:"current,omitempty"`
	// Retiring are replaced leases awaiting revocation.
	Retiring []string `json:"retiring,omitempty"`
	// MAC seals the record for one VaultApp.
	MAC string `json:"mac,omitempty"`
}

// ReadRecord decodes and verifies the record on s for the VaultApp with
// uid. It is empty when s is nil or has none, and when the record does not
// verify (trusted is then false: someone edited or copied it).
func ReadRecord(s *corev1.Secret, key mac.Key, uid string) (rec Record, trusted bool) {
	if s == nil || s.Annotations[Annotation] == "" {
		return Record{}, true
	}
	if err := json.Unmarshal([]byte(s.Annotations[Annotation]), &rec); err != nil || !rec.verify(key, uid) || !rec.idsMatchPaths() {
		return Record{}, false
	}
	return rec, true
}

// Seal returns the record as the Secret stores it, sealed for the VaultApp
// with uid ("" when empty).
func (rec Record) Seal(key mac.Key, uid string) string {
	if rec.Empty() {
		return ""
	}
	rec.MAC = key.Sum(rec.macInput(uid)...)
	b, _ := json.Marshal(rec)
	return string(b)
}

func (rec Record) verify(key mac.Key, uid string) bool {
	return rec.MAC != "" && key.Verify(rec.MAC, rec.macInput(uid)...)
}

func (rec Record) macInput(uid string) [][]byte {
	rec.MAC = ""
	b, _ := json.Marshal(rec) // maps marshal with sorted keys: canonical
	return [][]byte{[]byte("lease-record/v1"), []byte(uid), b}
}

// idsMatchPaths checks every lease id: a clean Vault path, and for a
// current secret one issued under the path it is recorded for.
func (rec Record) idsMatchPaths() bool {
	for path, is := range rec.Current {
		if is.LeaseID != "" && !BelongsTo(is.LeaseID, path) {
			return false
		}
	}
	for _, id := range rec.Retiring {
		if vault.ValidateLeaseID(id) != nil {
			return false
		}
	}
	return true
}

// BelongsTo reports whether lease id was issued under path: Vault's ids
// are "<path>/<random>".
func BelongsTo(id, path string) bool {
	return vault.ValidateLeaseID(id) == nil && vault.ValidatePath(path) == nil && strings.HasPrefix(id, path+"/")
}

// Empty reports whether the record names no lease.
func (rec Record) Empty() bool { return len(rec.Current) == 0 && len(rec.Retiring) == 0 }

// IDs are every lease the record knows, current and retiring.
func (rec Record) IDs() []string {
	ids := append([]string(nil), rec.Retiring...)
	for _, is := range rec.Current {
		if is.LeaseID != "" {
			ids = append(ids, is.LeaseID)
		}
	}
	return ids
}
