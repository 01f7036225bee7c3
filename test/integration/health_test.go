package integration

import (
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func probe(path string) func() int {
	return func() int {
		resp, err := http.Get("http://" + probeAddr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
}

// TestProbesFollowVault: /healthz and /readyz report Vault, while the
// liveness endpoint /healthz/ping stays up so an outage never restarts
// the operator.
func TestProbesFollowVault(t *testing.T) {
	RegisterTestingT(t)
	Eventually(probe("/healthz"), 15*time.Second, 200*time.Millisecond).Should(Equal(200))
	Eventually(probe("/readyz"), 15*time.Second, 200*time.Millisecond).Should(Equal(200))

	testRig.Vault.Proxy.SetDown(true)
	defer testRig.Vault.Proxy.SetDown(false)
	Eventually(probe("/healthz"), 15*time.Second, 200*time.Millisecond).Should(Equal(500))
	Eventually(probe("/readyz"), 15*time.Second, 200*time.Millisecond).Should(Equal(500))
	Expect(probe("/healthz/ping")()).To(Equal(200))

	testRig.Vault.Proxy.SetDown(false)
	Eventually(probe("/healthz"), 15*time.Second, 200*time.Millisecond).Should(Equal(200))
	Eventually(probe("/readyz"), 15*time.Second, 200*time.Millisecond).Should(Equal(200))
}
