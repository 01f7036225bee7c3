package lease

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// IssueParams is the body of the write that issues the secret.
func IssueParams(issue *appv1alpha1.IssueSpec) map[string]any {
	out := map[string]any{}
	if p := issue.PKI; p != nil {
		out["common_name"] = p.CommonName
		if len(p.AltNames) > 0 {
			out["alt_names"] = strings.Join(p.AltNames, ",")
		}
		if len(p.IPSANs) > 0 {
			out["ip_sans"] = strings.Join(p.IPSANs, ",")
		}
		if p.TTL != nil {
			out["ttl"] = p.TTL.Duration.String()
		}
		return out
	}
	for k, v := range issue.Params {
		out[k] = v
	}
	return out
}

// RequestHash identifies an issue request ("" for a read), so that
// credentials are issued anew when the request changes.
func RequestHash(issue *appv1alpha1.IssueSpec) string {
	if issue == nil {
		return ""
	}
	b, _ := json.Marshal(IssueParams(issue))
	sum := sha256.Sum256(append([]byte(issue.Path+"\n"), b...))
	return hex.EncodeToString(sum[:8])
}

// NewIssued records a secret just read or issued; ok is false for a
// static secret (no lease, not issued).
func NewIssued(sec *vault.SecretData, issue *appv1alpha1.IssueSpec) (Issued, bool) {
	if sec.LeaseID == "" && issue == nil {
		return Issued{}, false
	}
	now := time.Now().Truncate(time.Second)
	is := Issued{LeaseID: sec.LeaseID, TTL: int64(sec.LeaseDuration.Seconds()), Issued: now, Request: RequestHash(issue),
		Keys: slices.Sorted(maps.Keys(sec.Data))}
	if issue != nil && issue.PKI != nil {
		if exp, ok := sec.Data["expiration"].(json.Number); ok {
			if secs, err := exp.Int64(); err == nil {
				t := time.Unix(secs, 0)
				is.NotAfter = &t
			}
		}
		is.Serial, _ = sec.Data["serial_number"].(string)
	}
	return is, true
}
