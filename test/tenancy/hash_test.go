package tenancy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// unkeyedPushHash is the push record's hash as versions before the tenant
// boundary computed it (internal/pushsync.Hash at d11ffb8): anyone who can
// read the Deployment could confirm a guessed value with it.
func unkeyedPushHash(path string, data map[string]string) string {
	b, _ := json.Marshal([]struct {
		Path string            `json:"p"`
		Data map[string]string `json:"d"`
	}{{path, data}})
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// unkeyedSecretVersion is the secret version as versions before the
// tenant boundary computed it (dataVersion at d11ffb8).
func unkeyedSecretVersion(data map[string][]byte) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(h, "%d:%s%d:", len(k), k, len(data[k]))
		h.Write(data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// TestReadableHashesAreNotUnkeyedDigests: the hashes a `view` user reads
// (the push record on team-b's Deployment, the secret version in b-app's
// status and pod template) are not the unkeyed digests of the values that
// earlier versions published.
func TestReadableHashesAreNotUnkeyedDigests(t *testing.T) {
	RegisterTestingT(t)
	record := env.PushRecord(teamB, "db")
	Expect(record.Hash).NotTo(BeEmpty())
	Expect(record.Hash).NotTo(Equal(unkeyedPushHash("secret/data/team-b/db", map[string]string{"value": victim.pushed["secret/data/team-b/db"]})))

	unkeyed := unkeyedSecretVersion(map[string][]byte{"token": []byte(victim.appToken)})
	Expect(env.AppStatus(teamB, bApp).SecretVersion).NotTo(BeEmpty())
	Expect(env.AppStatus(teamB, bApp).SecretVersion).NotTo(Equal(unkeyed))
	d := e2e.Get(env.Client, teamB, bApp, &appsv1.Deployment{})
	Expect(d.Spec.Template.Annotations).To(HaveKey(appv1alpha1.SecretVersionAnnotation))
	Expect(d.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]).NotTo(Equal(unkeyed))
}

// TestSecretVersionConfirmsNoGuessAcrossNamespaces: peeker may view team-b
// (VaultApps and their status, not Secrets) and edit team-a, and writes
// team-a's own secrets in Vault, as a developer of team-a often may. Peeker
// reads b-app's secret version, then runs a VaultApp in team-a that reads a
// guess of b-app's value under the same key: if the two versions were
// equal for a right guess, the version would confirm guesses of another
// namespace's secret.
func TestSecretVersionConfirmsNoGuessAcrossNamespaces(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	peeker, err := tenant(ctx, "peeker", "edit", teamA)
	Expect(err).NotTo(HaveOccurred())
	Expect(env.BindClusterRole(ctx, teamB, "peeker", "view")).To(Succeed())
	var seen appv1alpha1.VaultApp
	Eventually(func() error { return peeker.Get(ctx, objectKey(teamB, bApp), &seen) }, 10*time.Second, 200*time.Millisecond).Should(Succeed())
	Expect(seen.Status.SecretVersion).NotTo(BeEmpty())

	writeAsTeamA(ctx, "kv/data/team-a/guess-right", victim.appToken)
	writeAsTeamA(ctx, "kv/data/team-a/guess-wrong", "not-"+victim.appToken)
	for _, guess := range []string{"guess-right", "guess-wrong"} {
		createAs(peeker, e2e.NewVaultApp(teamA, guess, teamA,
			appv1alpha1.SecretRef{Path: "kv/data/team-a/" + guess, Key: "token", TargetKey: seen.Spec.Vault.Secrets[0].TargetKey}))
		Eventually(func() string { return env.AppStatus(teamA, guess).SecretVersion }, refusalTimeout, 200*time.Millisecond).ShouldNot(BeEmpty())
	}
	Expect(env.AppSecretData(teamA, "guess-right")).To(Equal(env.AppSecretData(teamB, bApp)), "the guess is right")
	Expect(env.AppStatus(teamA, "guess-wrong").SecretVersion).NotTo(Equal(seen.Status.SecretVersion))
	Expect(env.AppStatus(teamA, "guess-right").SecretVersion).NotTo(Equal(seen.Status.SecretVersion),
		"a right guess of team-b's value gets team-b's secret version: the version confirms guesses across namespaces")
	expectNoHarm()
}

// writeAsTeamA writes a KV v2 secret {token: value} with a Vault token
// that may write only below kv/data/team-a/ (a team's own access to Vault).
func writeAsTeamA(ctx context.Context, path, value string) {
	ExpectWithOffset(1, env.Vault.WritePolicy(ctx, "team-a-writer", `path "kv/data/team-a/*" { capabilities = ["create", "update"] }`)).To(Succeed())
	tok, err := env.Vault.Root.Auth().Token().CreateWithContext(ctx, &vaultapi.TokenCreateRequest{Policies: []string{"team-a-writer"}, TTL: "10m"})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	c, err := env.Vault.Root.Clone()
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	c.SetToken(tok.Auth.ClientToken)
	_, err = c.Logical().WriteWithContext(ctx, path, map[string]any{"data": map[string]any{"token": value}})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
}
