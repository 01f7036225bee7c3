package integration

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// TestProbesFollowVault: /healthz and /readyz report Vault, while the
// liveness endpoint /healthz/ping stays up so an outage never restarts
// the operator.
func TestProbesFollowVault(t *testing.T) {
	RegisterTestingT(t)
	Eventually(op.Probe("/healthz"), 15*time.Second, 200*time.Millisecond).Should(Equal(200))
	Eventually(op.Probe("/readyz"), 15*time.Second, 200*time.Millisecond).Should(Equal(200))

	env.Vault.Proxy.SetDown(true)
	defer env.Vault.Proxy.SetDown(false)
	Eventually(op.Probe("/healthz"), 15*time.Second, 200*time.Millisecond).Should(Equal(500))
	Eventually(op.Probe("/readyz"), 15*time.Second, 200*time.Millisecond).Should(Equal(500))
	Expect(op.Probe("/healthz/ping")()).To(Equal(200))

	env.Vault.Proxy.SetDown(false)
	Eventually(op.Probe("/healthz"), 15*time.Second, 200*time.Millisecond).Should(Equal(200))
	Eventually(op.Probe("/readyz"), 15*time.Second, 200*time.Millisecond).Should(Equal(200))
}
