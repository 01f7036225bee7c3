package vaultapp

import (
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

// keptValues finds the values of a kept dynamic secret in the Secret,
// where the entries of path put them: a keyed entry's targetKey, a whole
// path's prefixed keys (Issued.Keys names them). complete is false when an
// entry finds nothing there (the Secret was edited or deleted, or the spec
// now wants keys it does not hold): the secret is then issued anew.
func keptValues(app *appv1alpha1.VaultApp, path string, is lease.Issued, prev *corev1.Secret) (map[string]any, bool) {
	if prev == nil {
		return nil, false
	}
	values := map[string]any{}
	for _, ref := range app.Spec.Vault.Secrets {
		if ref.Path != path {
			continue
		}
		found := false
		if ref.Key != "" {
			if v, ok := prev.Data[ref.TargetKey]; ok {
				values[ref.Key], found = string(v), true
			}
		} else {
			for _, k := range is.Keys {
				if v, ok := prev.Data[ref.Prefix+k]; ok {
					values[k], found = string(v), true
				}
			}
		}
		if !found {
			return nil, false
		}
	}
	return values, true
}
