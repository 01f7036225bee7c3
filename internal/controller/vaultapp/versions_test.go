package vaultapp

import (
	"reflect"
	"testing"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// The versions in the status (and the pod template) are keyed and bound to
// their VaultApp: the same values give another VaultApp, of another
// namespace or re-created under the same name, other versions, so a reader
// of one cannot confirm a guessed value by making a VaultApp of their own
// hold the guess.
func TestSecretVersionsAreBoundToTheirVaultApp(t *testing.T) {
	fv := staticVault()
	other := sampleApp()
	other.Namespace, other.UID = "other", "uid-2"
	recreated := sampleApp()
	recreated.UID = "uid-3"
	type versions struct{ secret, source string }
	seen := map[versions]string{}
	var firstData map[string][]byte
	for name, app := range map[string]*appv1alpha1.VaultApp{"original": sampleApp(), "other namespace's": other, "re-created": recreated} {
		r, _ := newTestReconciler(app, fv)
		got, sec := reconcileOnce(t, r, app)
		if sec == nil || got.Status.SecretVersion == "" || got.Status.SourceVersion == "" {
			t.Fatalf("%s VaultApp: secret %v, versions %q, %q", name, sec, got.Status.SecretVersion, got.Status.SourceVersion)
		}
		if firstData == nil {
			firstData = sec.Data
		} else if !reflect.DeepEqual(sec.Data, firstData) {
			t.Fatalf("%s VaultApp holds %v, want the same data as the others", name, sec.Data)
		}
		v := versions{got.Status.SecretVersion, got.Status.SourceVersion}
		for seenV, by := range seen {
			if v.secret == seenV.secret || v.source == seenV.source {
				t.Fatalf("the %s VaultApp has a version of the %s one's: %+v and %+v", name, by, v, seenV)
			}
		}
		seen[v] = name
	}
}
