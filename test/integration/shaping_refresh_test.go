package integration

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// refreshLatency is how soon a refresh request must be in the Secret (the promise).
const refreshLatency = time.Second

// TestShapeRefreshNowAndRolloutsByReason applies
// examples/vaultapp/refresh-now.yaml (refreshInterval 5m): a value changed
// in Vault is not read before the interval, but is in the Secret within a
// second of a new refresh-requested-at value, which
// status.lastHandledRefreshRequest then records; the request is handled
// once. The rollouts are counted by reason: the new value as
// data_changed, an edit of the deploymentSpec as spec_changed.
func TestShapeRefreshNowAndRolloutsByReason(t *testing.T) {
	RegisterTestingT(t)
	app := applyExample("refresh-now.yaml")
	Expect(app.Spec.Vault.RefreshInterval.Duration).To(Equal(5*time.Minute), "the example's interval")
	dep := eventuallySynced(app.Name)
	token := func() string { return string(appSecret(app.Name).Data["api_token"]) }
	Expect(token()).To(Equal("rates-api-token"))
	Eventually(func() string { return env.AppStatus(shapeNS, app.Name).LastHandledRefreshRequest }, 5*time.Second).
		Should(Equal("1767225600"), "the manifest's own request")

	env.PutKV("kv/data/shape/rates", map[string]any{"api_token": "rates-api-token-2"})
	Consistently(token, 3*time.Second, 200*time.Millisecond).Should(Equal("rates-api-token"), "not re-read before the interval")

	before := op.Metric(rolloutsMetric, "reason", "data_changed")()
	start := time.Now()
	requestRefresh(app.Name, "1767225601")
	Eventually(token, refreshLatency, 20*time.Millisecond).Should(Equal("rates-api-token-2"))
	t.Logf("refresh request to new value in the Secret: %s", time.Since(start))
	Eventually(func() string { return env.AppStatus(shapeNS, app.Name).LastHandledRefreshRequest }, refreshLatency).Should(Equal("1767225601"))
	rolled := expectOneRollout(app.Name, dep, "data_changed", before)
	expectNewSecretVersion(app.Name, dep, rolled)

	env.PutKV("kv/data/shape/rates", map[string]any{"api_token": "rates-api-token-3"})
	Consistently(token, 3*time.Second, 200*time.Millisecond).Should(Equal("rates-api-token-2"), "a handled request is not handled again")

	// Every reconcile re-reads Vault: the spec change below must read the data the pods run with.
	env.PutKV("kv/data/shape/rates", map[string]any{"api_token": "rates-api-token-2"})
	before = op.Metric(rolloutsMetric, "reason", "spec_changed")()
	patchApp(app.Name, func(a *appv1alpha1.VaultApp) {
		a.Spec.DeploymentSpec.Template.Spec.Containers[0].Image = "registry.example.com/rates:3.2.0"
	})
	after := expectOneRollout(app.Name, rolled, "spec_changed", before)
	Expect(after.Spec.Template.Spec.Containers[0].Image).To(Equal("registry.example.com/rates:3.2.0"))
	Expect(secretVersion(after)).To(Equal(secretVersion(rolled)), "the same data")
	expectNoDriftReported(app.Name)
	expectNoValueLeaked(app.Name)
}
