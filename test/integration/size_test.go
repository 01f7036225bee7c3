package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// sizeLimit is the operator's --vault-max-request-size in this suite.
const sizeLimit = 256 << 10

// TestSecretLargerThanVaultsLimit: a Secret beyond Vault's request limit is
// refused with an error naming the size and the limit; nothing is written
// or claimed in Vault, and nothing is retried until the Secret changes.
// Many small keys within the limit are fine.
func TestSecretLargerThanVaultsLimit(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "size")
	create(newSecret(ns, "big", "blob", strings.Repeat("x", 300<<10)))
	many := newSecret(ns, "many")
	for i := 0; i < 2000; i++ {
		many.Data[fmt.Sprintf("key-%04d", i)] = []byte("value")
	}
	create(many)
	create(newDeployment(ns, "big", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/big"}, "big"),
		newDeployment(ns, "many", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/many"}, "many"))

	eventuallyEvent(ns, "big", fmt.Sprintf("more than the limit of %d bytes", sizeLimit))
	Expect(strings.Join(events(ns, "big"), "\n")).To(ContainSubstring("max_request_size"))
	meta, _ := testRig.Vault.Root.Logical().Read("secret/metadata/" + ns + "/big/big")
	Expect(meta).To(BeNil(), "nothing claimed or written in Vault")
	eventuallyVault("secret/data/" + ns + "/many/many").Should(HaveLen(2000))
	// Terminal: no retries while nothing changes.
	tooLarge := func() float64 { return testutil.ToFloat64(metrics.VaultWriteErrors.WithLabelValues("too_large")) }
	n := tooLarge()
	Expect(n).To(BeNumerically(">=", 1))
	Consistently(tooLarge, 3*time.Second, 500*time.Millisecond).Should(Equal(n))

	// Shrinking the Secret fixes it.
	sec := &corev1.Secret{}
	Expect(testRig.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "big"}, sec)).To(Succeed())
	sec.Data["blob"] = []byte("small")
	Expect(testRig.Client.Update(context.Background(), sec)).To(Succeed())
	eventuallyVault("secret/data/" + ns + "/big/big").Should(HaveKeyWithValue("blob", "small"))
}
