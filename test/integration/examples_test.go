package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
)

// applyFile creates every object of a YAML file.
func applyFile(path string) {
	ExpectWithOffset(1, manifests.CreateFile(context.Background(), testRig.Client, path)).To(Succeed())
}

// TestReadmeExamples applies the examples the README shows and checks the
// result the README promises.
func TestReadmeExamples(t *testing.T) {
	RegisterTestingT(t)
	applyFile("../../examples/push/my-app.yaml")
	eventuallyVault("secret/data/my-app").Should(Equal(map[string]any{"app_username": "my-user", "app_password": "my-password"}))

	applyFile("../../examples/push/auto-discovery.yaml")
	eventuallyVault("secret/data/web/web-db").Should(Equal(map[string]any{"host": "db.internal", "port": "5432"}))
	eventuallyVault("secret/data/web/web-api").Should(Equal(map[string]any{"token": "api-token"}))
	// preserve-on-delete: deleting the Deployment keeps the data.
	Expect(testRig.Client.Delete(context.Background(), getDeployment("default", "web"))).To(Succeed())
	Eventually(deploymentGone("default", "web"), 20*time.Second).Should(BeTrue())
	Expect(vaultKV("secret/data/web/web-db")).NotTo(BeNil())
}
