package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// issueFor returns the issue request of path, or nil when path is read.
func issueFor(app *appv1alpha1.VaultApp, path string) *appv1alpha1.IssueSpec {
	for i := range app.Spec.Vault.Issue {
		if app.Spec.Vault.Issue[i].Path == path {
			return &app.Spec.Vault.Issue[i]
		}
	}
	return nil
}

// issueParams is the body of the write that issues the secret.
func issueParams(issue *appv1alpha1.IssueSpec) map[string]any {
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

// issueRequestHash identifies an issue request ("" for a read), so that
// credentials are issued anew when the request changes.
func issueRequestHash(issue *appv1alpha1.IssueSpec) string {
	if issue == nil {
		return ""
	}
	b, _ := json.Marshal(issueParams(issue))
	sum := sha256.Sum256(append([]byte(issue.Path+"\n"), b...))
	return hex.EncodeToString(sum[:8])
}

// distinctPaths are the spec's paths in order of first use: each is read
// (or issued) once, so two entries of database/creds/x share one
// credential.
func distinctPaths(app *appv1alpha1.VaultApp) []string {
	seen := map[string]bool{}
	var out []string
	for _, ref := range app.Spec.Vault.Secrets {
		if !seen[ref.Path] {
			seen[ref.Path] = true
			out = append(out, ref.Path)
		}
	}
	return out
}

// refsOf are the entries that take values from path.
func refsOf(app *appv1alpha1.VaultApp, path string) []appv1alpha1.SecretRef {
	var out []appv1alpha1.SecretRef
	for _, ref := range app.Spec.Vault.Secrets {
		if ref.Path == path {
			out = append(out, ref)
		}
	}
	return out
}
