// Package lease is the lifecycle of a VaultApp's dynamic secrets: the
// record of which leases (and certificates) a Secret's values came from,
// when each is renewed or replaced, and the operator's memory of them
// between reconciles. It decides; the VaultApp controller acts.
package lease

import (
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Annotation, on the VaultApp's Secret, records which dynamic secrets the
// Secret's values came from. It is written in the same request as the
// values, so the record and the credentials can never disagree, whatever
// happens to the process between two requests.
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
}

// Record is the content of Annotation.
type Record struct {
	Current map[string]Issued `json:"current,omitempty"`
	// Retiring are replaced leases awaiting revocation.
	Retiring []string `json:"retiring,omitempty"`
}

// ReadRecord decodes the record on s (empty when s is nil or has none).
func ReadRecord(s *corev1.Secret) Record {
	var rec Record
	if s != nil {
		_ = json.Unmarshal([]byte(s.Annotations[Annotation]), &rec)
	}
	return rec
}

// Empty reports whether the record names no lease.
func (rec Record) Empty() bool { return len(rec.Current) == 0 && len(rec.Retiring) == 0 }

// Encode is the record as the Secret stores it ("" when empty).
func (rec Record) Encode() string {
	if rec.Empty() {
		return ""
	}
	b, _ := json.Marshal(rec)
	return string(b)
}

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
