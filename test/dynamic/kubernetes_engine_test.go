package dynamic

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubernetesEngineToken: a second engine that issues on write, with
// generic params: Vault's Kubernetes secrets engine creates a token of the
// service account ci/deployer in the rig's apiserver. The token in the
// Secret authenticates as that service account; its lease is recorded and
// revoked with the VaultApp.
func TestKubernetesEngineToken(t *testing.T) {
	RegisterTestingT(t)
	defer showOperatorLog(t)
	ctx := context.Background()
	app := loadExample("examples/dynamic/ci-deployer.yaml")
	ns, name := app.Namespace, app.Name
	Expect(testRig.Client.Create(ctx, app)).To(Succeed())

	Eventually(func() string { return currentLease(ns, name) }, 30*time.Second, 250*time.Millisecond).Should(HavePrefix("kubernetes-secrets/creds/deployer/"))
	lease := currentLease(ns, name)
	review, err := testRig.Clientset.AuthenticationV1().TokenReviews().Create(ctx,
		&authv1.TokenReview{Spec: authv1.TokenReviewSpec{Token: string(secretData(ns, name)["token"])}}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	Expect(review.Status.Authenticated).To(BeTrue(), review.Status.Error)
	Expect(review.Status.User.Username).To(Equal("system:serviceaccount:ci:deployer"))
	Eventually(condition(ns, name, "LeasesHealthy"), 10*time.Second).Should(Equal("True/LeasesValid"))

	Expect(testRig.Client.Delete(ctx, get(ns, name, app))).To(Succeed())
	Eventually(func() bool { return get(ns, name, app) == nil }, 30*time.Second, 250*time.Millisecond).Should(BeTrue())
	_, err = testRig.Vault.Root.Sys().Lookup(lease)
	Expect(err).To(MatchError(ContainSubstring("invalid lease")), "the lease was revoked with the VaultApp")
}
