package dynamic

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestKubernetesEngineToken: a second engine that issues on write, with
// generic params: Vault's Kubernetes secrets engine creates a token of the
// service account ci/deployer in the rig's apiserver. The token in the
// Secret authenticates as that service account; its lease is recorded and
// revoked with the VaultApp.
func TestKubernetesEngineToken(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	app := env.LoadVaultApp("examples/dynamic/ci-deployer.yaml")
	ns, name := app.Namespace, app.Name
	env.Create(app)

	Eventually(func() string { return env.LeaseID(ns, name) }, 30*time.Second, 250*time.Millisecond).Should(HavePrefix("kubernetes-secrets/creds/deployer/"))
	lease := env.LeaseID(ns, name)
	review, err := env.Clientset.AuthenticationV1().TokenReviews().Create(ctx,
		&authv1.TokenReview{Spec: authv1.TokenReviewSpec{Token: string(env.AppSecretData(ns, name)["token"])}}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	Expect(review.Status.Authenticated).To(BeTrue(), review.Status.Error)
	Expect(review.Status.User.Username).To(Equal("system:serviceaccount:ci:deployer"))
	Eventually(env.Condition(ns, name, "LeasesHealthy"), 10*time.Second).Should(Equal("True/LeasesValid"))

	Expect(env.Client.Delete(ctx, e2e.Get(env.Client, ns, name, app))).To(Succeed())
	Eventually(env.Gone(ns, name, &appv1alpha1.VaultApp{}), 30*time.Second, 250*time.Millisecond).Should(BeTrue())
	_, err = env.Vault.Root.Sys().Lookup(lease)
	Expect(err).To(MatchError(ContainSubstring("invalid lease")), "the lease was revoked with the VaultApp")
}
