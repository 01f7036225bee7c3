package secretdata

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// keyPair returns a PEM certificate and its PEM private key.
func keyPair(t *testing.T) ([]byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "web.example.com"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

func TestCheckTypeTLS(t *testing.T) {
	crt, key := keyPair(t)
	_, otherKey := keyPair(t)
	for _, tc := range []struct {
		name    string
		data    map[string][]byte
		wantKey string // "" when valid
		detail  string
	}{
		{"certificate and its key", map[string][]byte{"tls.crt": crt, "tls.key": key, "ca.crt": crt}, "", ""},
		{"no tls.crt", map[string][]byte{"tls.key": key}, "tls.crt", "missing"},
		{"no tls.key", map[string][]byte{"tls.crt": crt}, "tls.key", "missing"},
		{"tls.crt not PEM", map[string][]byte{"tls.crt": []byte("SECRET-not-pem"), "tls.key": key}, "tls.crt", "no PEM CERTIFICATE block"},
		{"tls.crt holds a key", map[string][]byte{"tls.crt": key, "tls.key": key}, "tls.crt", "no PEM CERTIFICATE block"},
		{"tls.key not PEM", map[string][]byte{"tls.crt": crt, "tls.key": []byte("SECRET-not-pem")}, "tls.key", "no PEM PRIVATE KEY block"},
		{"tls.key of another certificate", map[string][]byte{"tls.crt": crt, "tls.key": otherKey}, "tls.key", "not the private key of the first certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckType(corev1.SecretTypeTLS, tc.data)
			checkTypeError(t, err, tc.wantKey, tc.detail)
		})
	}
}

func TestCheckTypeDockerConfigJSON(t *testing.T) {
	for _, tc := range []struct {
		name, doc, wantKey, detail string
	}{
		{"auths", `{"auths":{"registry.example.com":{"auth":"SECRET"}}}`, "", ""},
		{"not JSON", `SECRET-x`, ".dockerconfigjson", `not a JSON object with an "auths" object`},
		{"auths not an object", `{"auths":"SECRET"}`, ".dockerconfigjson", `not a JSON object with an "auths" object`},
		{"no auths", `{"credHelpers":{}}`, ".dockerconfigjson", `no "auths" object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckType(corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte(tc.doc)})
			checkTypeError(t, err, tc.wantKey, tc.detail)
		})
	}
	err := CheckType(corev1.SecretTypeDockerConfigJson, map[string][]byte{"config.json": []byte("{}")})
	checkTypeError(t, err, ".dockerconfigjson", "missing")
}

func TestCheckTypeOpaqueNeedsNothingAndOtherTypesAreRefused(t *testing.T) {
	if err := CheckType(corev1.SecretTypeOpaque, nil); err != nil {
		t.Error(err)
	}
	if err := CheckType("", nil); err != nil {
		t.Error(err)
	}
	err := CheckType(corev1.SecretTypeServiceAccountToken, map[string][]byte{"token": []byte("SECRET")})
	checkTypeError(t, err, "", "writes only Opaque")
}

func checkTypeError(t *testing.T, err error, wantKey, detail string) {
	t.Helper()
	if detail == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	var te *TypeError
	if !errors.As(err, &te) || te.Key != wantKey || !strings.Contains(err.Error(), detail) {
		t.Fatalf("err = %v, want a TypeError on %q containing %q", err, wantKey, detail)
	}
	assertNoValue(t, err)
}
