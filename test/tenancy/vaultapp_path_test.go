package tenancy

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestVaultAppReadsStayInTheNamespace: mallory's VaultApps, with her own
// role, read team-b's secret by its path, its KV v2 alias and its
// metadata, team-b's KV v1 secret, and team-b's dynamic engine: each is
// PathNotAllowed before Vault is asked (the team role's Vault policy
// would refuse too, with another reason: the reason shows who refused).
func TestVaultAppReadsStayInTheNamespace(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	reads := map[string]string{
		"read-team-b":          "kv/data/team-b/app",
		"read-team-b-alias":    "kv/team-b/app",
		"read-team-b-metadata": "kv/metadata/team-b/app",
		"read-team-b-kv1":      "kv1/team-b/legacy",
		"read-team-b-shared":   "kv1/shared/team-b-config",
		"read-team-b-engine":   "kubernetes-secrets/creds/team-b",
		"read-operator-policy": "sys/policy/vault-sync-operator",
	}
	for name, path := range reads {
		createAs(mallory, e2e.NewVaultApp(teamA, name, teamA, appv1alpha1.SecretRef{Path: path, Key: "token", TargetKey: "token"}))
	}
	for name := range reads {
		expectRefused(teamA, name, appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonPathNotAllowed)
		Expect(env.AppSecretData(teamA, name)).To(BeNil(), name)
	}
	expectNoHarm()
}

// TestEncodedTraversalReadsNothingElse: paths the CRD admits because no
// segment is "." or "..", but that would climb out of team-a's prefix if
// anything between the operator and Vault's storage decoded them
// (percent-encoded dots and slashes, a query string). The policy allows
// them (they are below kv/data/team-a/); Vault must be asked for exactly
// these names and find nothing: team-b's value never reaches team-a.
func TestEncodedTraversalReadsNothingElse(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	paths := map[string]string{
		"encoded-dots":       "kv/data/team-a/%2e%2e/%2e%2e/team-b/app",
		"encoded-slashes":    "kv/data/team-a/..%2f..%2fteam-b%2fapp",
		"double-encoded":     "kv/data/team-a/%252e%252e/%252e%252e/team-b/app",
		"query-string":       "kv/data/team-a/x?path=kv/data/team-b/app",
		"fragment":           "kv/data/team-a/x#/team-b/app",
		"backslashes":        `kv/data/team-a/..\..\team-b\app`,
		"unicode-dot-leader": "kv/data/team-a/\u2025/team-b/app",
	}
	for name, path := range paths {
		createAs(mallory, e2e.NewVaultApp(teamA, name, teamA, appv1alpha1.SecretRef{Path: path, Key: "token", TargetKey: "token"}))
	}
	for name := range paths {
		Eventually(env.Condition(teamA, name, appv1alpha1.ConditionSecretsSynced), refusalTimeout, 200*time.Millisecond).
			Should(HavePrefix("False/"), name)
		Expect(env.AppSecretData(teamA, name)).To(BeNil(), name)
	}
	expectNoHarm()
}

// TestIssueRequestsNeedAWriteGrant: spec.vault.issue writes to Vault, so
// it needs a write grant whatever the engine: mallory cannot issue to
// team-b's KV v2 metadata (delete_version_after would destroy its
// versions), to team-b's dynamic engine, to the operator's policy, nor
// to her own read-only path. Each is PathNotAllowed and nothing changes
// in Vault.
func TestIssueRequestsNeedAWriteGrant(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	policyBefore := operatorPolicy()
	ownVersion := kvVersion("kv/data/team-a/app")
	issues := map[string]struct {
		path   string
		params map[string]string
	}{
		"issue-team-b-metadata": {"secret/metadata/team-b/db", map[string]string{"delete_version_after": "1s", "max_versions": "1"}},
		"issue-team-b-engine":   {"kubernetes-secrets/creds/team-b", map[string]string{"kubernetes_namespace": teamB}},
		"issue-operator-policy": {"sys/policy/vault-sync-operator", map[string]string{"policy": `path "*" { capabilities = ["sudo"] }`}},
		"issue-own-read-path":   {"kv/data/team-a/app", map[string]string{"options": "{}"}},
		"issue-team-b-kv1":      {"kv1/team-b/legacy", map[string]string{"value": "mallory"}},
	}
	for name, is := range issues {
		app := e2e.NewVaultApp(teamA, name, teamA, appv1alpha1.SecretRef{Path: is.path, Key: "token", TargetKey: "token"})
		app.Spec.Vault.Issue = []appv1alpha1.IssueSpec{{Path: is.path, Params: is.params}}
		createAs(mallory, app)
	}
	for name := range issues {
		expectRefused(teamA, name, appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonPathNotAllowed)
	}
	md, err := env.Vault.Root.Logical().Read("secret/metadata/team-b/db")
	Expect(err).NotTo(HaveOccurred())
	Expect(md.Data).To(HaveKeyWithValue("delete_version_after", "0s"))
	Expect(operatorPolicy()).To(Equal(policyBefore))
	Expect(kvVersion("kv/data/team-a/app")).To(Equal(ownVersion))
	expectNoHarm()
}
