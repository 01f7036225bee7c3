package vaultapp

import (
	"encoding/json"
	"strings"

	corev1 "k8s.io/api/core/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
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

// statusOf is the status entry of a recorded secret (empty timing after a
// restart lost nothing: KeepOrReplace then asks Vault).
func statusOf(app *appv1alpha1.VaultApp, path string, is lease.Issued) appv1alpha1.LeaseStatus {
	for _, st := range app.Status.Leases {
		if st.Path == path && st.LeaseID == is.LeaseID && st.SerialNumber == is.Serial {
			return st
		}
	}
	return appv1alpha1.LeaseStatus{Path: path, LeaseID: is.LeaseID, SerialNumber: is.Serial, IssueTime: lease.Second(is.Issued)}
}

// hasValues reports whether the Secret holds a value for every entry.
func hasValues(s *corev1.Secret, refs []appv1alpha1.SecretRef) bool {
	if s == nil {
		return false
	}
	for _, ref := range refs {
		if _, ok := s.Data[ref.TargetKey]; !ok {
			return false
		}
	}
	return true
}

// valueBytes renders a Vault value as Secret bytes: strings as they are, a
// list of strings one per line (PKI's ca_chain becomes one PEM bundle),
// anything else (numbers, booleans, objects) as JSON.
func valueBytes(v any) []byte {
	switch x := v.(type) {
	case string:
		return []byte(x)
	case []any:
		lines := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				b, _ := json.Marshal(v)
				return b
			}
			lines = append(lines, strings.TrimRight(s, "\n"))
		}
		return []byte(strings.Join(lines, "\n") + "\n")
	}
	b, _ := json.Marshal(v)
	return b
}
