package secretdata

import (
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// CheckType checks that data has what a Secret of type typ needs, before it
// is written: kubernetes.io/tls needs tls.crt (PEM certificates) and tls.key
// (the PEM private key of the first certificate); kubernetes.io/dockerconfigjson
// needs .dockerconfigjson, a JSON object with "auths". Opaque needs nothing.
// Errors name the key and never quote the data.
func CheckType(typ corev1.SecretType, data map[string][]byte) error {
	switch typ {
	case "", corev1.SecretTypeOpaque:
		return nil
	case corev1.SecretTypeTLS:
		return checkTLS(data)
	case corev1.SecretTypeDockerConfigJson:
		return checkDockerConfigJSON(data)
	}
	return &TypeError{Type: string(typ), Detail: "the operator writes only Opaque, kubernetes.io/tls and kubernetes.io/dockerconfigjson Secrets"}
}

func checkTLS(data map[string][]byte) error {
	typ := string(corev1.SecretTypeTLS)
	crt, ok := data[corev1.TLSCertKey]
	if !ok {
		return &TypeError{Type: typ, Key: corev1.TLSCertKey, Detail: "it is missing"}
	}
	key, ok := data[corev1.TLSPrivateKeyKey]
	if !ok {
		return &TypeError{Type: typ, Key: corev1.TLSPrivateKeyKey, Detail: "it is missing"}
	}
	if !hasPEMBlock(crt, func(t string) bool { return t == "CERTIFICATE" }) {
		return &TypeError{Type: typ, Key: corev1.TLSCertKey, Detail: "it holds no PEM CERTIFICATE block"}
	}
	if !hasPEMBlock(key, func(t string) bool { return strings.HasSuffix(t, "PRIVATE KEY") }) {
		return &TypeError{Type: typ, Key: corev1.TLSPrivateKeyKey, Detail: "it holds no PEM PRIVATE KEY block"}
	}
	if _, err := tls.X509KeyPair(crt, key); err != nil {
		return &TypeError{Type: typ, Key: corev1.TLSPrivateKeyKey, Detail: "it is not the private key of the first certificate of tls.crt, or one of them does not parse"}
	}
	return nil
}

// hasPEMBlock tells whether b holds a PEM block whose type passes ok.
func hasPEMBlock(b []byte, ok func(string) bool) bool {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return false
		}
		if ok(blk.Type) {
			return true
		}
	}
}

func checkDockerConfigJSON(data map[string][]byte) error {
	typ := string(corev1.SecretTypeDockerConfigJson)
	raw, ok := data[corev1.DockerConfigJsonKey]
	if !ok {
		return &TypeError{Type: typ, Key: corev1.DockerConfigJsonKey, Detail: "it is missing"}
	}
	var doc struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return &TypeError{Type: typ, Key: corev1.DockerConfigJsonKey, Detail: `it is not a JSON object with an "auths" object`}
	}
	if doc.Auths == nil {
		return &TypeError{Type: typ, Key: corev1.DockerConfigJsonKey, Detail: `it has no "auths" object`}
	}
	return nil
}
