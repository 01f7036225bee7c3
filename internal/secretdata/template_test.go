package secretdata

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// values is the template input of these tests.
var values = map[string][]byte{
	"db_url":  []byte("SECRET-postgres://db:5432/app"),
	"api_key": []byte("SECRET-key"),
	"user":    []byte("SECRET-user"),
	"pass":    []byte("SECRET-pass"),
	"json":    []byte(`{"a":{"b":"SECRET-deep"},"n":12345678901234567890}`),
	"b64":     []byte("U0VDUkVULWRlY29kZWQ="), // SECRET-decoded
	"hosts":   []byte("SECRET-a,SECRET-b"),
	"empty":   []byte(""),
	"dash-ed": []byte("SECRET-dash"),
}

func render(t *testing.T, text string) (string, error) {
	t.Helper()
	out, err := Render([]v1alpha1.SecretTemplate{tmpl("t", text)}, values)
	if err != nil {
		if out != nil {
			t.Errorf("output %q returned with error %v", out, err)
		}
		return "", err
	}
	return string(out["t"]), nil
}

func TestTemplateFunctions(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`{{ .Values.db_url }}`, "SECRET-postgres://db:5432/app"},
		{`{{ index .Values "dash-ed" }}`, "SECRET-dash"},
		{`{{ " x " | trim }}|{{ upper "a" }}|{{ lower "B" }}`, "x|A|b"},
		{`{{ trimPrefix "SECRET-" .Values.user }} {{ trimSuffix "-user" .Values.user }}`, "user SECRET"},
		{`{{ contains "postgres" .Values.db_url }} {{ hasPrefix "SECRET" .Values.user }} {{ hasSuffix "x" .Values.user }}`, "true true false"},
		{`{{ replace "SECRET-" "" .Values.pass }}`, "pass"},
		{`{{ quote .Values.user }} {{ squote .Values.user }}`, `"SECRET-user" 'SECRET-user'`},
		{"a:{{ nindent 2 \"x\\ny\" }}|{{ indent 1 \"z\" }}", "a:\n  x\n  y| z"},
		{`{{ range splitList "," .Values.hosts }}[{{ . }}]{{ end }}`, "[SECRET-a][SECRET-b]"},
		{`{{ join ";" (splitList "," .Values.hosts) }} {{ join "+" (list "a" 1 true) }}`, "SECRET-a;SECRET-b a+1+true"},
		{`{{ default "none" .Values.empty }} {{ default "none" .Values.user }}`, "none SECRET-user"},
		{`{{ hasKey .Values "user" }} {{ hasKey .Values "nope" }} [{{ get .Values "nope" }}] {{ get .Values "user" }}`, "true false [] SECRET-user"},
		{`{{ b64enc "SECRET-x" }} {{ b64dec .Values.b64 }}`, "U0VDUkVULXg= SECRET-decoded"},
		{`{{ $j := fromJson .Values.json }}{{ $j.a.b }} {{ $j.n }} {{ toJson $j }}`, `SECRET-deep 12345678901234567890 {"a":{"b":"SECRET-deep"},"n":12345678901234567890}`},
		{`{{ dict "z" 1 "a" (list "x") | toJson }}`, `{"a":["x"],"z":1}`},
		{`{{ sha256sum "abc" }}`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`{{ printf "%s@%d" .Values.user 5 }} {{ print "a" 1 }} {{ html "<a>" }} {{ js "'" }} {{ urlquery "a b" }}`, `SECRET-user@5 a1 &lt;a&gt; \' a+b`},
		{`{{ if eq .Values.user "SECRET-user" }}y{{ end }}{{ if ne 1 2 }}y{{ end }}{{ if eq "b" "a" "b" }}y{{ end }}`, "yyy"},
		{`{{ if and (lt 1 2) (le 2 2) (gt "b" "a") (ge 2.5 2.5) }}ordered{{ end }}`, "ordered"},
		{`{{ len .Values.user }} {{ slice .Values.user 0 6 }} {{ not false }}`, "11 SECRET true"},
		{`{{ range $k, $v := .Values }}{{ if hasPrefix "d" $k }}{{ $k }};{{ end }}{{ end }}`, "dash-ed;db_url;"},
		{`{{/* a comment */}}plain text`, "plain text"},
	} {
		got, err := render(t, tc.text)
		if err != nil || got != tc.want {
			t.Errorf("%s\n got %q, %v\nwant %q", tc.text, got, err, tc.want)
		}
	}
}

func TestTemplateErrorsNameTheTemplateAndLineButNoValue(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"line one\n{{ .Values.nope }}", `spec.secret.templates[0] (template "t"): line 2, column 10: at <.Values.nope>: map has no entry for key "nope"`},
		{"{{ range .Values.user }}x{{ end }}", "line 1, column 16: at <.Values.user>: range can't iterate over this value"},
		{"{{ if .Values.user }}\n  {{ .Values.user.field }}\n{{ end }}", "line 2, column 12: at <.Values.user.field>: can't evaluate field field in type string"},
		{"{{ fromJson .Values.user }}", "at <fromJson .Values.user>: error calling fromJson: the value is not one JSON document"},
		{"{{ b64dec .Values.user }}", "error calling b64dec: the value is not standard base64"},
		{`{{ index .Values "nope" }}`, "error calling index: the map has no entry for this key"},
		{`{{ index .Values.user 99 }}`, "error calling index: the index is out of range"},
		{`{{ eq .Values.user 1 }}`, "error calling eq: incompatible types for comparison"},
		{`{{ join "," .Values.user }}`, "error calling join: the second argument must be a list"},
		{`{{ call .Values.user }}`, "error calling call: call is not available in templates"},
		{`{{ printf "%09999d" 1 }}`, "widths and precisions must be written in the format"},
		{`{{ printf "%*d" 5 1 }}`, "widths and precisions must be written in the format"},
		{`{{ upper .Values.user 1 }}`, "wrong number of args for upper: want 1 got 2"},
		{`{{ .Values.user | nope }}`, `line 1: function "nope" not defined`},
		{`{{ if }}`, "line 1: missing value for if"},
		{`{{ define "x" }}{{ end }}`, "define and block are not supported"},
		{`{{ block "x" . }}{{ end }}`, "define and block are not supported"},
		{"\n  {{ template \"x\" }}", "line 2, column 14: the template action is not supported"},
		{`{{ len 5 }}`, "error calling len " + withheld},
	} {
		_, err := render(t, tc.text)
		var te *TemplateError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s\n got %v\nwant %q", tc.text, err, tc.want)
		}
		assertNoValue(t, err)
	}
}

func TestTemplateWorkIsBounded(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"a loop of a trillion", `{{ range 1000000000000 }}{{ end }}`, "exceed their evaluation budget"},
		{"nested loops", `{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}`, "exceed their evaluation budget"},
		{"a costly function in a loop", `{{ range 1000000 }}{{ $h := sha256sum $.Values.json }}{{ end }}`, "exceed their evaluation budget"},
		{"a string doubled in a loop", `{{ $x := "ab" }}{{ range 64 }}{{ $x = printf "%s%s" $x $x }}{{ end }}`, "the result would be over 1 MiB"},
		{"an indent of a million", `{{ indent 2000000 "x" }}`, "the result would be over 1 MiB"},
		{"a loop refunding its budget", `{{ range 1000000000000 }}{{ secretdataLoopTick_ -100000 }}{{ end }}`, "exceed their evaluation budget"},
		{"output over 1 MiB", `{{ range 2000 }}{{ printf "%999s" "" }}{{ end }}`, "would be over the 1 MiB a Secret holds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := render(t, tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	text := `{{ range $k, $v := .Values }}{{ $k }}={{ sha256sum $v }}{{ end }}{{ dict "b" .Values.user "a" .Values.pass | toJson }}{{ fromJson .Values.json }}`
	first, err := render(t, text)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if again, _ := render(t, text); again != first {
			t.Fatalf("render %d differs:\n%s\n%s", i, again, first)
		}
	}
}
