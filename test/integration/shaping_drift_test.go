package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// driftRepairTimeout is how soon a hand edit of the managed Secret must be undone.
const driftRepairTimeout = 5 * time.Second

// TestShapeDriftIsRepairedWithoutARollout: the Secret of a VaultApp (the
// whole-path example) edited, given a foreign key, or deleted by someone
// else is restored within seconds, with a DriftRepaired event naming the
// keys (never a value) and vaultapp_drift_repairs_total{kind} counting it;
// the Deployment's pod template, and so its pods, never change.
func TestShapeDriftIsRepairedWithoutARollout(t *testing.T) {
	RegisterTestingT(t)
	app := createExampleAs("whole-path.yaml", "orders-drift", nil)
	dep := eventuallySynced(app.Name)
	good := appSecret(app.Name)
	name, version := good.Name, env.AppStatus(shapeNS, app.Name).SecretVersion

	edited := op.Metric(driftRepairsMetric, "kind", "edited")()
	took := repairAfter(app.Name, good.Data, func() {
		editSecret(app.Name, func(d map[string][]byte) { d["db_password"] = []byte("tampered-password"); delete(d, "db_host") })
	})
	t.Logf("edited keys restored in %s", took)
	env.EventuallyEvent(shapeNS, app.Name, "DriftRepaired: secret "+name+" was edited by someone else (keys changed db_password; removed db_host); restored")

	took = repairAfter(app.Name, good.Data, func() {
		editSecret(app.Name, func(d map[string][]byte) { d["extra"] = []byte("added-by-hand") })
	})
	t.Logf("foreign key removed in %s", took)
	env.EventuallyEvent(shapeNS, app.Name, "DriftRepaired: secret "+name+" was edited by someone else (keys added extra); restored")
	Eventually(op.Metric(driftRepairsMetric, "kind", "edited"), 5*time.Second).Should(BeNumerically(">=", edited+2))

	deleted := op.Metric(driftRepairsMetric, "kind", "deleted")()
	took = repairAfter(app.Name, good.Data, func() {
		Expect(env.Client.Delete(context.Background(), appSecret(app.Name))).To(Succeed())
	})
	t.Logf("deleted Secret recreated in %s", took)
	Expect(appSecret(app.Name).UID).NotTo(Equal(good.UID))
	env.EventuallyEvent(shapeNS, app.Name, "DriftRepaired: secret "+name+" was deleted by someone else; created it again")
	Eventually(op.Metric(driftRepairsMetric, "kind", "deleted"), 5*time.Second).Should(BeNumerically(">=", deleted+1))

	after := e2e.Get(env.Client, shapeNS, app.Name, &appsv1.Deployment{})
	Expect(after.Generation).To(Equal(dep.Generation), "no rollout")
	Expect(secretVersion(after)).To(Equal(secretVersion(dep)))
	Expect(env.AppStatus(shapeNS, app.Name).SecretVersion).To(Equal(version))
	Expect(env.EventTexts(shapeNS, app.Name)).NotTo(ContainElement(HavePrefix(appv1alpha1.ReasonRolloutStarted)))
	expectNoValueLeaked(app.Name)
}

// repairAfter runs tamper and waits until the Secret of VaultApp name
// holds want again; it
// returns how long that took.
func repairAfter(name string, want map[string][]byte, tamper func()) time.Duration {
	start := time.Now()
	tamper()
	EventuallyWithOffset(1, func() map[string][]byte {
		if s := appSecret(name); s != nil {
			return s.Data
		}
		return nil
	}, driftRepairTimeout, 50*time.Millisecond).Should(Equal(want))
	return time.Since(start)
}

// editSecret changes the data of VaultApp name's Secret as someone else
// would (an update with another field manager).
func editSecret(name string, change func(map[string][]byte)) {
	s := appSecret(name)
	change(s.Data)
	ExpectWithOffset(2, env.Client.Update(context.Background(), s)).To(Succeed())
}
