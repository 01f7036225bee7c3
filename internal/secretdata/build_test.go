package secretdata

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

func tmpl(name, text string) v1alpha1.SecretTemplate {
	return v1alpha1.SecretTemplate{Name: name, Template: text}
}

func TestBuildWithoutShapeIsTheSelectedValues(t *testing.T) {
	got, err := Build([]v1alpha1.SecretRef{keyed("kv/data/shape/db", "url", "db_url"), {Path: "kv/data/shape/api", Include: []string{"^key$"}, Prefix: "api_"}}, nil, fetched())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"db_url": []byte("SECRET-postgres://db/app"), "api_key": []byte("SECRET-api-key")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestBuildAddsTemplatesAndDropsRawValuesWithExcludeRaw(t *testing.T) {
	entries := []v1alpha1.SecretRef{keyed("kv/data/shape/db", "url", "db_url"), keyed("kv/data/shape/api", "key", "api_key")}
	shape := &v1alpha1.SecretSpec{Templates: []v1alpha1.SecretTemplate{
		tmpl("config.yaml", "db: {{ .Values.db_url }}\napiKey: {{ .Values.api_key }}\n"),
	}}
	got, err := Build(entries, shape, fetched())
	if err != nil {
		t.Fatal(err)
	}
	if string(got["config.yaml"]) != "db: SECRET-postgres://db/app\napiKey: SECRET-api-key\n" || len(got) != 3 {
		t.Errorf("got %q", got)
	}

	shape.ExcludeRaw = true
	got, err = Build(entries, shape, fetched())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["config.yaml"] == nil {
		t.Errorf("with excludeRaw got keys %v, want only config.yaml", keysOf(got))
	}
}

func TestBuildRefusesTwoSourcesOfOneKey(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []v1alpha1.SecretRef
		shape   *v1alpha1.SecretSpec
		want    string
	}{
		{"keyed entry and whole path",
			[]v1alpha1.SecretRef{keyed("kv/data/shape/api", "key", "url"), {Path: "kv/data/shape/db"}}, nil,
			`secret key "url" comes from both spec.vault.secrets[0] (key "key" of kv/data/shape/api) and spec.vault.secrets[1] (key "url" of kv/data/shape/db)`},
		{"two whole paths",
			[]v1alpha1.SecretRef{{Path: "kv/data/shape/db"}, {Path: "kv/data/x"}}, nil,
			`secret key "port" comes from both spec.vault.secrets[0] (key "port" of kv/data/shape/db) and spec.vault.secrets[1] (key "port" of kv/data/x)`},
		{"whole path and template",
			[]v1alpha1.SecretRef{{Path: "kv/data/shape/db"}}, &v1alpha1.SecretSpec{Templates: []v1alpha1.SecretTemplate{tmpl("user", "x")}},
			`secret key "user" comes from both spec.vault.secrets[0] (key "user" of kv/data/shape/db) and spec.secret.templates[0] (template "user")`},
		{"two templates",
			[]v1alpha1.SecretRef{{Path: "kv/data/x"}}, &v1alpha1.SecretSpec{ExcludeRaw: true, Templates: []v1alpha1.SecretTemplate{tmpl("a", "1"), tmpl("a", "2")}},
			`secret key "a" comes from both spec.secret.templates[0] (template "a") and spec.secret.templates[1] (template "a")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := fetched()
			data["kv/data/x"] = map[string]any{"port": "SECRET-1"}
			got, err := Build(tc.entries, tc.shape, data)
			var conflict *KeyConflictError
			if !errors.As(err, &conflict) || got != nil {
				t.Fatalf("got %v, %v; want a KeyConflictError and no data", keysOf(got), err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
			assertNoValue(t, err)
		})
	}
}

func TestBuildWithExcludeRawLetsATemplateReuseARawKeyName(t *testing.T) {
	shape := &v1alpha1.SecretSpec{ExcludeRaw: true, Templates: []v1alpha1.SecretTemplate{tmpl("url", "{{ .Values.url | upper }}")}}
	got, err := Build([]v1alpha1.SecretRef{{Path: "kv/data/shape/db"}}, shape, fetched())
	if err != nil {
		t.Fatal(err)
	}
	if string(got["url"]) != "SECRET-POSTGRES://DB/APP" || len(got) != 1 {
		t.Errorf("got %q", got)
	}
}

func TestBuildNeverReturnsHalfTheData(t *testing.T) {
	shape := &v1alpha1.SecretSpec{Templates: []v1alpha1.SecretTemplate{tmpl("good", "{{ .Values.url }}"), tmpl("bad", "{{ .Values.nope }}")}}
	got, err := Build([]v1alpha1.SecretRef{{Path: "kv/data/shape/db"}}, shape, fetched())
	var te *TemplateError
	if !errors.As(err, &te) || got != nil {
		t.Fatalf("got %v, %v; want a TemplateError and nothing", keysOf(got), err)
	}
}

func TestBuildChecksTheSecretType(t *testing.T) {
	shape := &v1alpha1.SecretSpec{Type: corev1.SecretTypeTLS}
	got, err := Build([]v1alpha1.SecretRef{keyed("pki/issue/web", "certificate", "tls.crt")}, shape, fetched())
	var te *TypeError
	if !errors.As(err, &te) || got != nil || te.Key != "tls.key" {
		t.Fatalf("got %v, %v; want a TypeError naming tls.key", keysOf(got), err)
	}
}

func TestBuildRefusesMoreThanASecretHolds(t *testing.T) {
	data := Fetched{"kv/data/big": {"a": strings.Repeat("x", MaxSecretBytes/2+1), "b": strings.Repeat("y", MaxSecretBytes/2+1)}}
	_, err := Build([]v1alpha1.SecretRef{{Path: "kv/data/big"}}, nil, data)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Bytes != MaxSecretBytes+2 {
		t.Fatalf("err = %v, want a TooLargeError", err)
	}
	half := Fetched{"kv/data/big": {"a": strings.Repeat("x", MaxSecretBytes/2+1)}}
	shape := &v1alpha1.SecretSpec{Templates: []v1alpha1.SecretTemplate{tmpl("copy", "{{ .Values.a }}")}}
	if _, err := Build([]v1alpha1.SecretRef{{Path: "kv/data/big"}}, shape, half); !errors.As(err, &tl) {
		t.Errorf("raw value plus its copy: err = %v, want a TooLargeError", err)
	}
}

func TestBuildRefusesATemplateNameNoSecretHolds(t *testing.T) {
	for _, name := range []string{".", ".."} {
		shape := &v1alpha1.SecretSpec{Templates: []v1alpha1.SecretTemplate{tmpl("ok", "x"), tmpl(name, "{{ .Values.db_url }}")}}
		got, err := Build([]v1alpha1.SecretRef{keyed("kv/data/shape/db", "url", "db_url")}, shape, fetched())
		var invalid *InvalidEntryError
		if !errors.As(err, &invalid) || got != nil {
			t.Fatalf("template %q: got %v, err %v; want an InvalidEntryError and nothing", name, keysOf(got), err)
		}
		if want := `spec.secret.templates[1]: the name "` + name + `" is not a valid Secret key: must not be '` + name + `'`; err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
	}
}

func TestReasonForMapsEveryErrorToItsConditionReason(t *testing.T) {
	for err, want := range map[error]string{
		&KeyNotFoundError{}:  v1alpha1.ReasonKeyNotFound,
		&KeyConflictError{}:  v1alpha1.ReasonKeyConflict,
		&InvalidEntryError{}: v1alpha1.ReasonInvalidSpec,
		&TemplateError{}:     v1alpha1.ReasonTemplateFailed,
		&TypeError{}:         v1alpha1.ReasonSecretTypeInvalid,
		&TooLargeError{}:     v1alpha1.ReasonSecretWriteFailed,
		errors.New("other"):  "",
	} {
		if got := ReasonFor(err); got != want {
			t.Errorf("ReasonFor(%T) = %q, want %q", err, got, want)
		}
	}
}

func keysOf(m map[string][]byte) []string { return sortedKeys(m) }

func TestATemplateNameThatIsNoSecretKeyIsRefused(t *testing.T) {
	shape := &v1alpha1.SecretSpec{Templates: []v1alpha1.SecretTemplate{{Name: "..data", Template: "x"}}}
	_, err := Build(nil, shape, Fetched{})
	var inv *InvalidEntryError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want an InvalidEntryError naming the template", err)
	}
}
