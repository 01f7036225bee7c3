package tenancy

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestPushPathsStayInTheNamespace: mallory annotates Deployments with
// paths that climb out of team-a's prefix ("..", "//", a leading or
// trailing "/", 600 characters), name team-b's secrets (by path, KV v2
// alias, KV v2 metadata, KV v1) or Vault's own endpoints. Each is refused
// with the event that says why, and nothing is written there.
func TestPushPathsStayInTheNamespace(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	policyBefore := operatorPolicy()
	refused := map[string]struct{ path, reason string }{
		"path-600":             {"secret/data/team-a/" + strings.Repeat("x", 600), v1alpha1.ReasonInvalidConfig},
		"path-dotdot":          {"secret/data/team-a/../team-b/db", v1alpha1.ReasonInvalidConfig},
		"path-dotdot-metadata": {"secret/data/team-a/../../metadata/team-b/db", v1alpha1.ReasonInvalidConfig},
		"path-dot":             {"secret/data/team-a/./x", v1alpha1.ReasonInvalidConfig},
		"path-double-slash":    {"secret/data//team-b/db", v1alpha1.ReasonInvalidConfig},
		"path-leading-slash":   {"/secret/data/team-b/db", v1alpha1.ReasonInvalidConfig},
		"path-trailing-slash":  {"secret/data/team-a/x/", v1alpha1.ReasonInvalidConfig},
		"path-team-b":          {"secret/data/team-b/db", v1alpha1.ReasonPathNotAllowed},
		"path-team-b-alias":    {"secret/team-b/db", v1alpha1.ReasonPathNotAllowed},
		"path-team-b-child":    {"secret/data/team-b/db/x", v1alpha1.ReasonPathNotAllowed},
		"path-team-b-kv1":      {"kv1/team-b/legacy", v1alpha1.ReasonPathNotAllowed},
		"path-team-b-metadata": {"secret/metadata/team-b/db", v1alpha1.ReasonVaultWriteFailed},
		"path-operator-policy": {"sys/policy/vault-sync-operator", v1alpha1.ReasonVaultWriteFailed},
		"path-revoke-self":     {"auth/token/revoke-self", v1alpha1.ReasonVaultWriteFailed},
	}
	for name, r := range refused {
		Expect(createPush(ctx, mallory, push{teamA, name, r.path}, "mallory")).To(Succeed())
	}
	for name, r := range refused {
		expectEvent(1, teamA, name, r.reason)
		Expect(e2e.Get(env.Client, teamA, name, &appsv1.Deployment{}).Annotations).NotTo(HaveKey(pushsync.AnnotationState), name)
	}
	Expect(operatorPolicy()).To(Equal(policyBefore))
	expectNoHarm()
}

// TestEncodedPushPathIsWrittenAsNamed: a path with percent-encoded dots is
// admitted (no segment is "..") and allowed (it is below
// secret/data/team-a/): it must be written under exactly that name, inside
// team-a's prefix, never decoded into team-b's secret.
func TestEncodedPushPathIsWrittenAsNamed(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	p := push{teamA, "encoded-push", "secret/data/team-a/%2e%2e/%2e%2e/team-b/db"}
	Expect(createPush(context.Background(), mallory, p, "mallory")).To(Succeed())
	expectEvent(1, teamA, p.deployment, v1alpha1.ReasonSynced)
	Expect(env.ReadKV(p.path)).To(HaveKeyWithValue("value", "mallory"))
	expectNoHarm()
}

// TestPushReadsSecretsOfItsNamespaceOnly: mallory's selections name
// team-b's Secret "db" by a path-like name, and by its plain name (which
// team-a does not have), explicitly and through the pod template. The
// operator reads Secrets in the Deployment's namespace only: each fails
// with a Warning and nothing is written. The Warning must say what is
// wrong: a name that cannot be a Secret's is an invalid annotation
// (InvalidConfig, not retried), a missing Secret is SecretNotFound.
func TestPushReadsSecretsOfItsNamespaceOnly(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	invalid := v1alpha1.ReasonInvalidConfig
	names := map[string]struct{ secret, reason string }{
		"select-slash":       {"team-b/db", invalid},
		"select-dotdot":      {"../team-b/db", invalid},
		"select-api-path":    {"../../namespaces/team-b/secrets/db", invalid},
		"select-encoded":     {"..%2Fteam-b%2Fdb", invalid},
		"select-dot":         {".", invalid},
		"select-dotdot-only": {"..", invalid},
		"select-plain":       {"db", v1alpha1.ReasonSecretNotFound},
	}
	for name, sel := range names {
		ann := map[string]string{pushsync.AnnotationPath: "secret/data/team-a/" + name,
			pushsync.AnnotationSecrets: `[{"name":"` + sel.secret + `"}]`}
		createAs(mallory, e2e.NewDeployment(teamA, name, ann))
	}
	createAs(mallory, e2e.NewDeployment(teamA, "discover-plain", map[string]string{pushsync.AnnotationPath: "secret/data/team-a/discover-plain"}, "db"))
	names["discover-plain"] = struct{ secret, reason string }{"db", v1alpha1.ReasonSecretNotFound}
	for name := range names {
		Eventually(func() []string { return warnings(teamA, name) }, refusalTimeout, 200*time.Millisecond).ShouldNot(BeEmpty(), name)
		Expect(env.ReadKV("secret/data/team-a/"+name)).To(BeNil(), name)
	}
	expectNoHarm()
	for name, sel := range names {
		Expect(warnings(teamA, name)).To(ContainElement(HavePrefix(sel.reason+": ")), "selection %q", sel.secret)
	}
}

// TestPreserveOnDeleteEdgeValues: preserve-on-delete is read one way:
// "true"/"false" in any case and spacing, absent is false, and anything
// else is refused (InvalidConfig) but read as "keep the data". Whatever the
// value, deleting the Deployment completes.
func TestPreserveOnDeleteEdgeValues(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	keeps := map[string]bool{"TRUE": true, " true ": true, "yes": true, "1": true, "on": true, "": false, "False": false}
	i := 0
	pushes := map[string]push{}
	for value := range keeps {
		p := push{teamA, "preserve-" + string(rune('a'+i)), "secret/data/team-a/preserve-" + string(rune('a'+i))}
		i++
		pushes[value] = p
		Expect(createPush(ctx, mallory, p, "mallory")).To(Succeed())
	}
	for value, p := range pushes {
		env.EventuallyKV(p.path).Should(HaveKeyWithValue("value", "mallory"))
		Expect(patchAs(mallory, teamA, p.deployment, &appsv1.Deployment{}, func(d *appsv1.Deployment) {
			d.Annotations[pushsync.AnnotationPreserveOnDelete] = value
		})).To(Succeed())
		if _, err := pushsync.PreserveOnDelete(map[string]string{pushsync.AnnotationPreserveOnDelete: value}); err != nil {
			expectEvent(1, teamA, p.deployment, v1alpha1.ReasonInvalidConfig)
		}
		Expect(mallory.Delete(ctx, e2e.Get(env.Client, teamA, p.deployment, &appsv1.Deployment{}))).To(Succeed())
	}
	for value, p := range pushes {
		Eventually(env.Gone(teamA, p.deployment, &appsv1.Deployment{}), refusalTimeout, 200*time.Millisecond).Should(BeTrue(), "%q", value)
		if keeps[value] {
			Expect(env.ReadKV(p.path)).To(HaveKeyWithValue("value", "mallory"), "preserve-on-delete %q", value)
		} else {
			Expect(env.ReadKV(p.path)).To(BeNil(), "preserve-on-delete %q", value)
		}
	}
	expectNoHarm()
}

// TestPushBadDurationsAreRefused: the periodic re-sync interval of a push
// Deployment that Go cannot parse (it overflows), or that would hammer
// Vault, is refused (InvalidConfig) and nothing is written.
func TestPushBadDurationsAreRefused(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	intervals := map[string]string{"reconcile-overflows": "3000000h", "reconcile-1ns": "1ns", "reconcile-negative": "-5m", "reconcile-words": "every minute"}
	for name, interval := range intervals {
		Expect(createPushWith(context.Background(), mallory, push{teamA, name, "secret/data/team-a/" + name}, "mallory",
			map[string]string{pushsync.AnnotationReconcile: interval})).To(Succeed())
	}
	for name := range intervals {
		expectEvent(1, teamA, name, v1alpha1.ReasonInvalidConfig)
		Expect(env.ReadKV("secret/data/team-a/"+name)).To(BeNil(), name)
	}
	expectNoHarm()
}

// warnings are the Warning events of the object ns/name as "Reason: Message".
func warnings(ns, name string) []string {
	var out []string
	for _, ev := range env.Events(ns, name) {
		if ev.Type == "Warning" {
			out = append(out, ev.Reason+": "+ev.Message)
		}
	}
	return out
}
