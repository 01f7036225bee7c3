package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// applyFile creates every object of a multi-document YAML file, as
// `kubectl apply -f` would for new objects.
func applyFile(path string) {
	b, err := os.ReadFile(path)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			ExpectWithOffset(1, err).NotTo(HaveOccurred())
		}
		if len(u.Object) == 0 {
			continue
		}
		ExpectWithOffset(1, testRig.Client.Create(context.Background(), u)).To(Succeed(), "%s: %s", path, u.GetName())
	}
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
