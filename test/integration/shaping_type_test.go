package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestShapeTLSSecretFromKV applies examples/vaultapp/tls-from-kv.yaml: a
// kubernetes.io/tls Secret whose tls.key is the key of tls.crt. Changing
// the type recreates the Secret (a Secret's type is immutable) with the
// same data, without a rollout and without a drift report; a type whose
// keys are missing is SecretTypeInvalid naming the key, and nothing is
// written.
func TestShapeTLSSecretFromKV(t *testing.T) {
	RegisterTestingT(t)
	app := applyExample("tls-from-kv.yaml")
	dep := eventuallySynced(app.Name)
	sec := appSecret(app.Name)
	Expect(sec.Type).To(Equal(corev1.SecretTypeTLS))
	Expect(sec.Data).To(HaveLen(2))
	cert := keyPair(sec)
	Expect(cert.Subject.CommonName).To(Equal("web.example.com"))

	patchApp(app.Name, func(a *appv1alpha1.VaultApp) { a.Spec.Secret.Type = corev1.SecretTypeOpaque })
	Eventually(func() corev1.SecretType {
		if s := appSecret(app.Name); s != nil { // absent between the delete and the create
			return s.Type
		}
		return ""
	}, 10*time.Second, 100*time.Millisecond).Should(Equal(corev1.SecretTypeOpaque))
	opaque := appSecret(app.Name)
	Expect(opaque.UID).NotTo(Equal(sec.UID), "recreated")
	Expect(opaque.Data).To(Equal(sec.Data))
	Eventually(env.Condition(shapeNS, app.Name, appv1alpha1.ConditionSecretsSynced), 5*time.Second).Should(Equal("True/Succeeded"))

	patchApp(app.Name, func(a *appv1alpha1.VaultApp) {
		a.Spec.Secret.Type = corev1.SecretTypeTLS
		a.Spec.Vault.Secrets[1].TargetKey = "key.pem"
	})
	Eventually(env.ConditionWithMessage(shapeNS, app.Name, appv1alpha1.ConditionSecretsSynced), 10*time.Second, 100*time.Millisecond).
		Should(Equal("False/SecretTypeInvalid: a Secret of type kubernetes.io/tls needs the key tls.key: it is missing"))
	env.EventuallyEvent(shapeNS, app.Name, "SecretTypeInvalid: a Secret of type kubernetes.io/tls needs the key tls.key")
	Consistently(func() string { return appSecret(app.Name).ResourceVersion }, 2*time.Second, 200*time.Millisecond).
		Should(Equal(opaque.ResourceVersion), "nothing written")

	after := e2e.Get(env.Client, shapeNS, app.Name, &appsv1.Deployment{})
	Expect(after.ResourceVersion).To(Equal(dep.ResourceVersion), "the same data: the Deployment did not change")
	expectNoDriftReported(app.Name)
	expectNoValueLeaked(app.Name)
}

// TestShapeTLSSecretFromPKI applies examples/vaultapp/tls-from-pki.yaml: the
// VaultApp issues a certificate for shop.example.com from the PKI engine
// into a kubernetes.io/tls Secret whose ca.crt verifies tls.crt and whose
// tls.key is the certificate's key; the status records the serial.
func TestShapeTLSSecretFromPKI(t *testing.T) {
	RegisterTestingT(t)
	app := applyExample("tls-from-pki.yaml")
	eventuallySynced(app.Name)
	sec := appSecret(app.Name)
	Expect(sec.Type).To(Equal(corev1.SecretTypeTLS))
	Expect(sec.Data).To(HaveLen(3))
	cert := keyPair(sec)
	roots := x509.NewCertPool()
	Expect(roots.AppendCertsFromPEM(sec.Data["ca.crt"])).To(BeTrue(), "ca.crt is PEM")
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "shop.example.com"})
	Expect(err).NotTo(HaveOccurred())
	leases := env.AppStatus(shapeNS, app.Name).Leases
	Expect(leases).To(HaveLen(1))
	Expect(leases[0].Path).To(Equal("pki/issue/web"))
	Expect(leases[0].SerialNumber).NotTo(BeEmpty())
	expectNoValueLeaked(app.Name)
}

// TestShapeExcludeRawWithAnIssuedSecretIsRefused: the operator keeps a
// dynamic secret's values in the Secret to renew it without issuing new
// credentials, so excludeRaw with an issued one (tls-from-pki.yaml
// rendering its keys through templates) is refused at admission, naming
// why, and nothing is issued or written. (A read that turns out dynamic is
// InvalidSpec without retries: internal/controller/vaultapp.)
func TestShapeExcludeRawWithAnIssuedSecretIsRefused(t *testing.T) {
	RegisterTestingT(t)
	app := env.LoadVaultApp("examples/vaultapp/tls-from-pki.yaml")
	app.Name = "web-pki-tls-exclude-raw"
	app.Spec.Secret.ExcludeRaw = true
	app.Spec.Secret.Templates = []appv1alpha1.SecretTemplate{
		{Name: "tls.crt", Template: `{{ index .Values "tls.crt" }}`}, {Name: "tls.key", Template: `{{ index .Values "tls.key" }}`}}
	err := env.Client.Create(context.Background(), app)
	Expect(err).To(MatchError(ContainSubstring("excludeRaw cannot be used with spec.vault.issue")))
	expectNothingWritten(app.Name)
}

// keyPair checks that tls.key is the private key of tls.crt and returns
// the certificate.
func keyPair(sec *corev1.Secret) *x509.Certificate {
	_, err := tls.X509KeyPair(sec.Data["tls.crt"], sec.Data["tls.key"])
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "tls.key is the key of tls.crt")
	blk, _ := pem.Decode(sec.Data["tls.crt"])
	ExpectWithOffset(1, blk).NotTo(BeNil())
	cert, err := x509.ParseCertificate(blk.Bytes)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return cert
}

// TestShapeDockerConfigJSONSecret applies
// examples/vaultapp/dockerconfigjson.yaml: a kubernetes.io/dockerconfigjson
// Secret rendered from one Vault path, which the Deployment pulls its image
// with. A template whose JSON has no "auths" is SecretTypeInvalid and
// writes nothing.
func TestShapeDockerConfigJSONSecret(t *testing.T) {
	RegisterTestingT(t)
	app := applyExample("dockerconfigjson.yaml")
	dep := eventuallySynced(app.Name)
	sec := appSecret(app.Name)
	Expect(sec.Type).To(Equal(corev1.SecretTypeDockerConfigJson))
	Expect(sec.Data).To(HaveKey(".dockerconfigjson"))
	Expect(sec.Data).To(HaveLen(1), "excludeRaw: only the rendered key")
	var doc struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	Expect(json.Unmarshal(sec.Data[".dockerconfigjson"], &doc)).To(Succeed())
	Expect(doc.Auths).To(HaveKeyWithValue("registry.example.com", struct{ Username, Password, Auth string }{
		"puller", "pull-password", base64.StdEncoding.EncodeToString([]byte("puller:pull-password"))}))
	Expect(dep.Spec.Template.Spec.ImagePullSecrets).To(Equal([]corev1.LocalObjectReference{{Name: sec.Name}}))

	patchApp(app.Name, func(a *appv1alpha1.VaultApp) {
		a.Spec.Secret.Templates[0].Template = `{{ dict "registry" .Values.server | toJson }}`
	})
	Eventually(env.ConditionWithMessage(shapeNS, app.Name, appv1alpha1.ConditionSecretsSynced), 10*time.Second, 100*time.Millisecond).
		Should(Equal(`False/SecretTypeInvalid: a Secret of type kubernetes.io/dockerconfigjson needs the key .dockerconfigjson: it has no "auths" object`))
	Consistently(func() string { return appSecret(app.Name).ResourceVersion }, 2*time.Second, 200*time.Millisecond).
		Should(Equal(sec.ResourceVersion), "nothing written")
	expectNoValueLeaked(app.Name)
}
