package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestReadmeExamples applies the examples the README shows and checks the
// result the README promises.
func TestReadmeExamples(t *testing.T) {
	RegisterTestingT(t)
	env.ApplyFile("examples/push/my-app.yaml")
	env.EventuallyKV("secret/data/my-app").Should(Equal(map[string]any{"app_username": "my-user", "app_password": "my-password"}))

	env.ApplyFile("examples/push/auto-discovery.yaml")
	env.EventuallyKV("secret/data/web/web-db").Should(Equal(map[string]any{"host": "db.internal", "port": "5432"}))
	env.EventuallyKV("secret/data/web/web-api").Should(Equal(map[string]any{"token": "api-token"}))
	// preserve-on-delete: deleting the Deployment keeps the data.
	Expect(env.Client.Delete(context.Background(), e2e.Get(env.Client, "default", "web", &appsv1.Deployment{}))).To(Succeed())
	Eventually(env.Gone("default", "web", &appsv1.Deployment{}), 20*time.Second).Should(BeTrue())
	Expect(env.ReadKV("secret/data/web/web-db")).NotTo(BeNil())
}
