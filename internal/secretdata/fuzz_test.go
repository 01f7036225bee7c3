package secretdata

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// fuzzMark is in every value the fuzz tests use: an error holding it holds a
// value (unless the fuzzer also wrote it into the template or a name, which
// the tests skip).
const fuzzMark = "Zq7SECRETx9"

// FuzzRender: whatever the template and the values, Render does not panic,
// returns either all output or a TemplateError, never a value in the error,
// and the same result twice.
func FuzzRender(f *testing.F) {
	for _, seed := range []string{
		"url: {{ .Values.a }}\nkey: {{ .Values.b | quote }}",
		"{{ range $k, $v := .Values }}{{ $k }}={{ $v | b64enc }}\n{{ end }}",
		"{{ range .Values.a }}{{ end }}", "{{ if .Values.a }}{{ .Values.a.x }}{{ end }}",
		"{{ fromJson .Values.a }}", "{{ (fromJson .Values.c).k }}", "{{ b64dec .Values.b }}",
		"{{ index .Values .Values.a }}", "{{ eq .Values.a 1 }}", "{{ printf \"%v %q %x\" .Values.a .Values.b .Values.c }}",
		"{{ with $x := splitList \",\" .Values.c }}{{ join \"|\" $x }}{{ end }}",
		"{{ dict \"auths\" (dict \"r\" (dict \"auth\" (printf \"%s:%s\" .Values.a .Values.b | b64enc))) | toJson }}",
		"{{ range 1000000000 }}{{ end }}", "{{ define \"x\" }}{{ end }}", "{{ template \"x\" . }}", "{{", "{{ .Values.nope }}",
		"{{ $x := .Values.a }}{{ range 40 }}{{ $x = printf \"%s%s\" $x $x }}{{ end }}{{ $x }}",
		"{{ slice .Values.a 1 2 }}{{ len .Values.b }}{{ indent 3 .Values.c }}{{ sha256sum .Values.a }}",
	} {
		f.Add(seed, "value", `{"k":"v"}`)
	}
	f.Fuzz(func(t *testing.T, text, v1, v2 string) {
		if strings.Contains(text, fuzzMark) || len(text) > 1<<16 {
			t.Skip()
		}
		vals := map[string][]byte{"a": []byte(fuzzMark + v1), "b": []byte(v1 + fuzzMark), "c": []byte(v2 + fuzzMark + "," + v1)}
		templates := []v1alpha1.SecretTemplate{{Name: "t.yaml", Template: text}}
		out, err := Render(templates, vals)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if out != nil {
				t.Fatal("output returned with an error")
			}
			if strings.Contains(err.Error(), fuzzMark) {
				t.Fatalf("the error holds a value: %v", err)
			}
		}
		again, err2 := Render(templates, vals)
		if !reflect.DeepEqual(out, again) || errString(err) != errString(err2) {
			t.Fatalf("not deterministic: %q/%v then %q/%v", out, err, again, err2)
		}
	})
}

// FuzzSelect: whatever the entries and Vault's keys, Select and Build do not
// panic, hold no value in errors, give the same result twice, and produce
// only valid Secret keys.
func FuzzSelect(f *testing.F) {
	f.Add("url", "^u", "^p", "db_", "url", "password", "v")
	f.Add("", "(", "", "", "a b", "c", "v")
	f.Add("", "", "[z-a]", "x.", "..", ".", "v")
	f.Add("nope", ".*", "", "", "k", "k2", "")
	f.Fuzz(func(t *testing.T, key, include, exclude, prefix, vaultKey1, vaultKey2, value string) {
		for _, s := range []string{key, include, exclude, prefix, vaultKey1, vaultKey2} {
			if strings.Contains(s, fuzzMark) {
				t.Skip()
			}
		}
		data := Fetched{"kv/data/f": {vaultKey1: fuzzMark + value, vaultKey2: []any{value + fuzzMark}}}
		entries := []v1alpha1.SecretRef{{Path: "kv/data/f", Prefix: prefix}}
		if include != "" {
			entries[0].Include = []string{include}
		}
		if exclude != "" {
			entries[0].Exclude = []string{exclude}
		}
		if key != "" {
			entries = append(entries, v1alpha1.SecretRef{Path: "kv/data/f", Key: key, TargetKey: "t-" + key})
		}
		sel, err := Select(entries, data)
		again, err2 := Select(entries, data)
		if !reflect.DeepEqual(sel, again) || errString(err) != errString(err2) {
			t.Fatalf("not deterministic: %v/%v then %v/%v", sel, err, again, err2)
		}
		if err != nil && strings.Contains(err.Error(), fuzzMark) {
			t.Fatalf("the error holds a value: %v", err)
		}
		for _, s := range sel {
			if checkSecretKey(s.Key) != nil {
				t.Fatalf("invalid Secret key %q selected", s.Key)
			}
		}
		if _, err := Build(entries, nil, data); err != nil && strings.Contains(err.Error(), fuzzMark) {
			t.Fatalf("the error holds a value: %v", err)
		}
	})
}

// crdName is the CRD's pattern of targetKey, prefix and template names.
var crdName = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// FuzzBuildWritesOnlySecretKeys: whatever names the CRD admits (targetKey,
// prefix, template name) and whatever keys Vault holds, Build returns only
// keys Kubernetes accepts in a Secret, or an error with a condition reason:
// never data whose write the apiserver would refuse.
func FuzzBuildWritesOnlySecretKeys(f *testing.F) {
	f.Add("config.yaml", "db_url", "db_", "password")
	f.Add("..", "url", "", "k")
	f.Add(".", ".", ".", ".")
	f.Add("t", "..", "", "a b")
	f.Add("t", "x", ".", ".")
	f.Fuzz(func(t *testing.T, name, targetKey, prefix, vaultKey string) {
		if !crdName.MatchString(name) || len(name) > 253 || !crdName.MatchString(targetKey) || len(targetKey) > 253 ||
			(prefix != "" && (!crdName.MatchString(prefix) || len(prefix) > 128)) {
			t.Skip() // refused at admission
		}
		entries := []v1alpha1.SecretRef{{Path: "kv/data/a", Key: "k", TargetKey: targetKey}, {Path: "kv/data/b", Prefix: prefix}}
		data := Fetched{"kv/data/a": {"k": "v"}, "kv/data/b": {vaultKey: "w"}}
		shape := &v1alpha1.SecretSpec{Templates: []v1alpha1.SecretTemplate{{Name: name, Template: "x"}}}
		out, err := Build(entries, shape, data)
		if err != nil {
			if ReasonFor(err) == "" {
				t.Fatalf("an error without a condition reason: %v", err)
			}
			return
		}
		for k := range out {
			if msgs := validation.IsConfigMapKey(k); len(msgs) > 0 {
				t.Fatalf("Secret key %q would be refused by the apiserver: %v", k, msgs)
			}
		}
	})
}

// FuzzCheckType: whatever the data, the type checks do not panic and never
// quote it.
func FuzzCheckType(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("x"), []byte(`{"auths":{}}`))
	f.Fuzz(func(t *testing.T, crt, key, docker []byte) {
		mark := func(b []byte) []byte { return append([]byte(fuzzMark), b...) }
		for _, typ := range []corev1.SecretType{corev1.SecretTypeTLS, corev1.SecretTypeDockerConfigJson} {
			err := CheckType(typ, map[string][]byte{"tls.crt": mark(crt), "tls.key": mark(key), ".dockerconfigjson": mark(docker)})
			if err != nil && strings.Contains(err.Error(), fuzzMark) {
				t.Fatalf("the error holds a value: %v", err)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
