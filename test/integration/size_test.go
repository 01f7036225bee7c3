package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// sizeLimit is the operator's --vault-max-request-size in this suite.
const sizeLimit = 256 << 10

// TestSecretLargerThanVaultsLimit: a Secret beyond Vault's request limit is
// refused with an error naming the size and the limit; nothing is written
// or claimed in Vault, and nothing is retried until the Secret changes.
// Many small keys within the limit are fine.
func TestSecretLargerThanVaultsLimit(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("size")
	env.Create(e2e.NewSecret(ns, "big", "blob", strings.Repeat("x", 300<<10)))
	many := e2e.NewSecret(ns, "many")
	for i := 0; i < 2000; i++ {
		many.Data[fmt.Sprintf("key-%04d", i)] = []byte("value")
	}
	env.Create(many)
	env.Create(e2e.NewDeployment(ns, "big", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/big"}, "big"),
		e2e.NewDeployment(ns, "many", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/many"}, "many"))

	env.EventuallyEvent(ns, "big", fmt.Sprintf("more than the limit of %d bytes", sizeLimit))
	Expect(strings.Join(env.EventTexts(ns, "big"), "\n")).To(ContainSubstring("max_request_size"))
	meta, _ := env.Vault.Root.Logical().Read("secret/metadata/" + ns + "/big/big")
	Expect(meta).To(BeNil(), "nothing claimed or written in Vault")
	env.EventuallyKV("secret/data/" + ns + "/many/many").Should(HaveLen(2000))
	// Terminal: no retries while nothing changes.
	tooLarge := op.Metric("vault_sync_operator_vault_write_errors_total", "error_type", "too_large")
	n := tooLarge()
	Expect(n).To(BeNumerically(">=", 1))
	Consistently(tooLarge, 3*time.Second, 500*time.Millisecond).Should(Equal(n))

	// Shrinking the Secret fixes it.
	sec := &corev1.Secret{}
	Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "big"}, sec)).To(Succeed())
	sec.Data["blob"] = []byte("small")
	Expect(env.Client.Update(context.Background(), sec)).To(Succeed())
	env.EventuallyKV("secret/data/" + ns + "/big/big").Should(HaveKeyWithValue("blob", "small"))
}
