package tenancy

import (
	"context"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// refusalTimeout is how long an attack may take to be refused.
const refusalTimeout = 20 * time.Second

// createAs creates the objects as the tenant c and expects it to be allowed.
func createAs(c client.Client, objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, c.Create(context.Background(), o)).To(Succeed(), "%T %s", o, o.GetName())
	}
}

// expectRefused waits until condition t of VaultApp ns/name is False with
// reason, and a Warning event with that reason is recorded on it.
func expectRefused(ns, name, t, reason string) {
	EventuallyWithOffset(1, env.Condition(ns, name, t), refusalTimeout, 200*time.Millisecond).Should(Equal("False/"+reason), name)
	expectEvent(2, ns, name, reason)
}

// expectEvent waits for an event of reason on the object ns/name (any kind).
func expectEvent(offset int, ns, name, reason string) {
	EventuallyWithOffset(offset, func() []string { return env.EventTexts(ns, name) }, refusalTimeout, 200*time.Millisecond).
		Should(ContainElement(HavePrefix(reason+": ")), "%s/%s", ns, name)
}

// eventCount is how many times an event of reason was recorded on the
// object ns/name (repeats of one message are counted on one Event).
func eventCount(ns, name, reason string) int32 {
	var n int32
	for _, ev := range env.Events(ns, name) {
		if ev.Reason == reason {
			n += max(ev.Count, 1)
		}
	}
	return n
}

// tokensAlive lists the accessors of the live Vault tokens of a role.
func tokensAlive(role string) []string {
	accs, err := env.Vault.TokenAccessors(context.Background(), role)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return accs
}

// patchAs changes obj (read fresh from the API server as admin) with
// mutate and sends the change as the tenant c, as `kubectl edit` would.
func patchAs[T client.Object](c client.Client, ns, name string, obj T, mutate func(T)) error {
	cur := e2e.Get(env.Client, ns, name, obj)
	ExpectWithOffset(1, cur).NotTo(BeNil(), "%s/%s", ns, name)
	orig := cur.DeepCopyObject().(T)
	mutate(cur)
	return c.Patch(context.Background(), cur, client.MergeFrom(orig))
}
