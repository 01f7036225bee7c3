package tenancy

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestReplayedPushRecordTakesNothingOver: a sealed record proves the
// operator wrote it for this Deployment, not that it is the latest. Mallory
// keeps her Deployment's record from when it wrote a location under the
// prefix team-a shares with team-b, moves the Deployment away (the
// operator removes its data there), waits until team-b writes that path
// (on KV v2 up to the version her old record names), then puts the old
// record back and points the Deployment there again with new data. The
// operator must not take the old record as proof of a write: a
// VaultPathConflict, team-b's data kept through retries and the deletion
// of her Deployment.
func TestReplayedPushRecordTakesNothingOver(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	for _, path := range []string{"secret/data/shared/replayed", "kv1/shared/replayed"} {
		kind := strings.Split(path, "/")[0]
		p := push{teamA, "replay-" + kind, path}
		Expect(createPush(ctx, mallory, p, "mallory-1")).To(Succeed())
		env.EventuallyKV(path).Should(HaveKeyWithValue("value", "mallory-1"))
		setPushedValue(p, "mallory-2")
		env.EventuallyKV(path).Should(HaveKeyWithValue("value", "mallory-2"))
		// The record names the write (on KV v2 its version, 2) once the
		// sync has recorded it.
		Eventually(func() map[string]int { return env.PushRecord(teamA, p.deployment).Versions }, refusalTimeout, 100*time.Millisecond).
			Should(HaveLen(1))
		old := sealedRecord(p)

		Expect(patchAs(mallory, teamA, p.deployment, &appsv1.Deployment{}, func(d *appsv1.Deployment) {
			d.Annotations[pushsync.AnnotationPath] = "secret/data/team-a/replay-moved-" + kind
		})).To(Succeed())
		env.EventuallyKV(path).Should(BeNil(), "the old location was not removed after the path change")

		victim, _ := newVictim(teamB, "replay-victim-"+kind, path)
		value := "team-b-" + kind + "-2"
		Expect(patchAs(env.Client, teamB, victim.deployment, &corev1.Secret{}, func(s *corev1.Secret) { s.Data["value"] = []byte(value) })).To(Succeed())
		env.EventuallyKV(path).Should(HaveKeyWithValue("value", value)) // KV v2: version 2, as in the old record

		Expect(patchAs(mallory, teamA, p.deployment, &appsv1.Deployment{}, func(d *appsv1.Deployment) {
			d.Annotations[pushsync.AnnotationState] = old
			d.Annotations[pushsync.AnnotationPath] = path
		})).To(Succeed())
		setPushedValue(p, "mallory-3")
		expectConflictKeepsData(p, path, value)
	}
	expectNoHarm()
}

// setPushedValue changes, as mallory, the value p's Deployment pushes.
func setPushedValue(p push, value string) {
	ExpectWithOffset(1, patchAs(mallory, p.ns, p.deployment, &corev1.Secret{}, func(s *corev1.Secret) { s.Data["value"] = []byte(value) })).To(Succeed())
}
