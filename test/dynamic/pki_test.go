package dynamic

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestPKICertificateRotation: the example's certificate (TTL shortened to
// 30s for the test) is a valid chain; it is re-issued at half its validity
// (the operator's --lease-renew-fraction here), not before, not after a
// restart; and with rolloutStrategy none the Deployment's template never
// changes: the Secret is updated in place.
func TestPKICertificateRotation(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	app := env.LoadVaultApp("examples/dynamic/web-tls.yaml")
	app.Spec.Vault.Issue[0].PKI.TTL = appv1alpha1.NewDuration(30 * time.Second)
	ns, name := app.Namespace, app.Name
	Expect(env.EnsureNamespace(ctx, ns)).To(Succeed())
	env.Create(app)

	Eventually(func() string { return serial(ns, name) }, 30*time.Second, 250*time.Millisecond).ShouldNot(BeEmpty())
	s1 := serial(ns, name)
	cert := verifyChain(ns, name)
	Expect(cert.DNSNames).To(ConsistOf("web.example.com", "www.example.com"))
	Expect(cert.NotAfter.Sub(cert.NotBefore)).To(BeNumerically("~", 31*time.Second, 2*time.Second))
	Eventually(env.Condition(ns, name, "Ready"), 60*time.Second, 500*time.Millisecond).Should(Equal("True/Succeeded"))
	dep := e2e.Get(env.Client, ns, name, &appsv1.Deployment{})
	Expect(dep.Spec.Template.Annotations).NotTo(HaveKey("vaultapp.techweaver.io/secret-version"), "rolloutStrategy none")

	// A restart in the first half of the validity issues nothing.
	Expect(op.Restart()).To(Succeed())
	Consistently(func() string { return serial(ns, name) }, time.Until(cert.NotBefore.Add(13*time.Second)), 500*time.Millisecond).Should(Equal(s1))

	// Re-issued after half its validity, before expiry.
	Eventually(func() string { return serial(ns, name) }, 20*time.Second, 250*time.Millisecond).ShouldNot(Equal(s1))
	Expect(time.Now()).To(BeTemporally("<", cert.NotAfter))
	next := verifyChain(ns, name)
	Expect(next.SerialNumber).NotTo(Equal(cert.SerialNumber))
	Expect(env.EventTexts(ns, name)).To(ContainElement(HavePrefix("CredentialsRotated: ")))

	// rolloutStrategy none: the Secret changed, the pod template did not.
	after := e2e.Get(env.Client, ns, name, &appsv1.Deployment{})
	Expect(after.Generation).To(Equal(dep.Generation))
	Expect(after.Spec.Template).To(Equal(dep.Spec.Template))
}

func serial(ns, name string) string {
	if l := env.AppStatus(ns, name).Leases; len(l) > 0 {
		return l[0].SerialNumber
	}
	return ""
}

// verifyChain checks tls.crt against ca.crt and that tls.key matches.
func verifyChain(ns, name string) *x509.Certificate {
	d := env.AppSecretData(ns, name)
	blk, _ := pem.Decode(d["tls.crt"])
	ExpectWithOffset(1, blk).NotTo(BeNil(), "tls.crt is PEM")
	cert, err := x509.ParseCertificate(blk.Bytes)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	roots := x509.NewCertPool()
	ExpectWithOffset(1, roots.AppendCertsFromPEM(d["ca.crt"])).To(BeTrue(), "ca.crt is a PEM bundle")
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "web.example.com"})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	kb, _ := pem.Decode(d["tls.key"])
	ExpectWithOffset(1, kb).NotTo(BeNil(), "tls.key is PEM")
	return cert
}
