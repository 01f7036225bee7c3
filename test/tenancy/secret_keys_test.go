package tenancy

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// TestDotKeysNeverBecomeFiles: a Secret key is a file name under
// /etc/secrets/vault in every container, and the kubelet keeps its own
// "..data" link and "..<timestamp>" directories there. Mallory names the
// targetKey ".", ".." and "..data": none reaches a Secret. The CRD admits
// them today; the API server refuses such Secret keys, which the VaultApp
// reports (SecretWriteFailed, naming the key). A refusal at admission,
// naming the field, would do too. (Whole-path prefixes and templates,
// the other sources of keys, are not used by the controller yet.)
func TestDotKeysNeverBecomeFiles(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	attempts := map[string]func(*appv1alpha1.VaultApp){
		"target-dotdot":    func(a *appv1alpha1.VaultApp) { a.Spec.Vault.Secrets[0].TargetKey = ".." },
		"target-dot":       func(a *appv1alpha1.VaultApp) { a.Spec.Vault.Secrets[0].TargetKey = "." },
		"target-data-link": func(a *appv1alpha1.VaultApp) { a.Spec.Vault.Secrets[0].TargetKey = "..data" },
	}
	for name, mutate := range attempts {
		app := staticApp(teamA, name)
		mutate(app)
		err := mallory.Create(context.Background(), app)
		if err != nil {
			Expect(err.Error()).To(ContainSubstring("spec."), "%s: the refusal names the field", name)
			continue
		}
		Eventually(env.Condition(teamA, name, appv1alpha1.ConditionSecretsSynced), refusalTimeout, 200*time.Millisecond).
			Should(Equal("False/"+appv1alpha1.ReasonSecretWriteFailed), name)
		Expect(env.ConditionMessage(teamA, name, appv1alpha1.ConditionSecretsSynced)).To(ContainSubstring(app.Spec.Vault.Secrets[0].TargetKey), name)
		Expect(env.AppSecretData(teamA, name)).To(BeNil(), name)
	}
	expectNoHarm()
}
