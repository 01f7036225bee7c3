package v1alpha1

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// obj is unstructured content; at walks (and creates) nested maps.
type obj = map[string]interface{}

func at(o obj, path ...string) obj {
	for _, p := range path {
		next, ok := o[p].(obj)
		if !ok {
			next = obj{}
			o[p] = next
		}
		o = next
	}
	return o
}

// set returns a mutation setting key in the map at path.
func set(key string, v interface{}, path ...string) func(obj) {
	return func(o obj) { at(o, path...)[key] = v }
}

func setSecrets(entries ...obj) func(obj) {
	return func(o obj) {
		l := make([]interface{}, len(entries))
		for i, e := range entries {
			l[i] = e
		}
		at(o, "spec", "vault")["secrets"] = l
	}
}

func setShape(shape obj) func(obj) { return set("secret", shape, "spec") }

func tmplEntry(name, text string) obj { return obj{"name": name, "template": text} }

func manyProps(n int, key func(int) string, value string) obj {
	m := obj{}
	for i := 0; i < n; i++ {
		m[key(i)] = value
	}
	return m
}

// TestNewValidationRules checks the rules of issues 15 and 16, both ways,
// from a minimal valid VaultApp.
func TestNewValidationRules(t *testing.T) {
	s := loadSchema(t)
	whole := obj{"path": "kv/data/shape/db", "include": []interface{}{"^db_"}, "exclude": []interface{}{"_old$"}, "prefix": "app_"}
	for _, tc := range []struct {
		name    string
		mutate  func(obj)
		wantErr string
	}{
		{"name of 63 characters", set("name", strings.Repeat("a", 63), "metadata"), ""},
		{"name of 64 characters", set("name", strings.Repeat("a", 64), "metadata"), "metadata.name must be at most 63 lowercase letters"},
		{"name with a dot", set("name", "my.app", "metadata"), "a DNS-1035 label"},
		{"name starting with a digit", set("name", "1app", "metadata"), "a DNS-1035 label"},

		{"role with dot, dash, underscore and @", set("role", "team_a-billing.read@prod", "spec", "vault"), ""},
		{"role with a slash", set("role", "team/billing", "spec", "vault"), "spec.vault.role"},
		{"role starting with a dash", set("role", "-billing", "spec", "vault"), "spec.vault.role"},
		{"role of 129 characters", set("role", strings.Repeat("r", 129), "spec", "vault"), "spec.vault.role"},
		{"authPath with two segments", set("authPath", "jwt/cluster-a", "spec", "vault"), ""},
		{"authPath with a leading slash", set("authPath", "/kubernetes", "spec", "vault"), "spec.vault.authPath"},
		{"authPath with a trailing slash", set("authPath", "kubernetes/", "spec", "vault"), "spec.vault.authPath"},
		{"authPath with an empty segment", set("authPath", "a//b", "spec", "vault"), "spec.vault.authPath"},
		{"authPath with a dotdot segment", set("authPath", "a/../sys", "spec", "vault"), "authPath must not contain '.' or '..' segments"},
		{"authPath with a space", set("authPath", "a b", "spec", "vault"), "spec.vault.authPath"},
		{"authPath of 129 characters", set("authPath", strings.Repeat("a", 129), "spec", "vault"), "spec.vault.authPath"},

		{"refreshInterval 168h", set("refreshInterval", "168h", "spec", "vault"), ""},
		{"refreshInterval over 168h", set("refreshInterval", "168h1s", "spec", "vault"), "refreshInterval must be at least 10s and at most 168h"},
		{"refreshInterval Go cannot parse", set("refreshInterval", "3000000h", "spec", "vault"), "spec.vault.refreshInterval in body should match"},
		{"refreshInterval near Go's limit", set("refreshInterval", "999999h999999h99999h", "spec", "vault"), "at most 168h"},
		{"refreshInterval of 21 characters", set("refreshInterval", "1h1h1h1h1h1h1h1h1h1h1", "spec", "vault"), "spec.vault.refreshInterval"},
		{"revokeGracePeriod 0s", set("revokeGracePeriod", "0s", "spec", "vault", "leases"), ""},
		{"revokeGracePeriod 168h", set("revokeGracePeriod", "168h", "spec", "vault", "leases"), ""},
		{"revokeGracePeriod over 168h", set("revokeGracePeriod", "169h", "spec", "vault", "leases"), "revokeGracePeriod must be at most 168h"},
		{"revokeGracePeriod Go cannot parse", set("revokeGracePeriod", "3000000h", "spec", "vault", "leases"), "spec.vault.leases.revokeGracePeriod in body should match"},
		{"revokeGracePeriod in ms", set("revokeGracePeriod", "500ms", "spec", "vault", "leases"), "spec.vault.leases.revokeGracePeriod in body should match"},
		{"pki ttl 10s", setIssue(obj{"path": "kv/data/a", "pki": obj{"commonName": "x", "ttl": "10s"}}), ""},
		{"pki ttl 87600h", setIssue(obj{"path": "kv/data/a", "pki": obj{"commonName": "x", "ttl": "87600h"}}), ""},
		{"pki ttl under 10s", setIssue(obj{"path": "kv/data/a", "pki": obj{"commonName": "x", "ttl": "9s"}}), "ttl must be at least 10s and at most 87600h"},
		{"pki ttl over 87600h", setIssue(obj{"path": "kv/data/a", "pki": obj{"commonName": "x", "ttl": "87601h"}}), "ttl must be at least 10s and at most 87600h"},
		{"pki ttl Go cannot parse", setIssue(obj{"path": "kv/data/a", "pki": obj{"commonName": "x", "ttl": "3000000h"}}), "spec.vault.issue[0].pki.ttl in body should match"},
		{"monitoring interval 1h", set("monitoring", obj{"enabled": true, "interval": "1h"}, "spec"), ""},
		{"monitoring interval over 1h", set("monitoring", obj{"enabled": true, "interval": "1h1s"}, "spec"), "interval must be at least 1s and at most 1h"},
		{"monitoring interval out of Prometheus order", set("monitoring", obj{"enabled": true, "interval": "30s1m"}, "spec"), "spec.monitoring.interval in body should match"},
		{"monitoring interval empty", set("monitoring", obj{"enabled": true, "interval": ""}, "spec"), "spec.monitoring.interval"},
		{"monitoring port of 16 characters", set("monitoring", obj{"enabled": true, "port": strings.Repeat("p", 16)}, "spec"), "spec.monitoring.port"},

		{"whole path with include, exclude and prefix", setSecrets(whole), ""},
		{"whole path alone", setSecrets(obj{"path": "kv/data/shape/db"}), ""},
		{"two whole paths and a keyed entry", setSecrets(obj{"path": "kv/data/a"}, obj{"path": "kv/data/b"}, obj{"path": "kv/data/a", "key": "k", "targetKey": "k"}), ""},
		{"whole path with targetKey", setSecrets(obj{"path": "kv/data/a", "targetKey": "t"}), "targetKey is allowed only with key"},
		{"key without targetKey", setSecrets(obj{"path": "kv/data/a", "key": "k"}), "targetKey is required when key is set"},
		{"keyed entry with prefix", setSecrets(obj{"path": "kv/data/a", "key": "k", "targetKey": "t", "prefix": "p_"}), "include, exclude and prefix apply only to an entry without key"},
		{"keyed entry with include", setSecrets(obj{"path": "kv/data/a", "key": "k", "targetKey": "t", "include": []interface{}{"x"}}), "include, exclude and prefix apply only"},
		{"include not RE2", setSecrets(obj{"path": "kv/data/a", "include": []interface{}{"(unclosed"}}), "error parsing regexp: missing closing ): `(unclosed` evaluating rule: include must hold RE2 regular expressions"},
		{"exclude not RE2 (lookahead)", setSecrets(obj{"path": "kv/data/a", "exclude": []interface{}{"(?=x)"}}), "invalid or unsupported Perl syntax: `(?=` evaluating rule: exclude must hold RE2 regular expressions"},
		{"include of 17 expressions", setSecrets(obj{"path": "kv/data/a", "include": strings16Plus1()}), "spec.vault.secrets[0].include"},
		{"include expression of 257 characters", setSecrets(obj{"path": "kv/data/a", "include": []interface{}{strings.Repeat("a", 257)}}), "spec.vault.secrets[0].include[0]"},
		{"prefix with a slash", setSecrets(obj{"path": "kv/data/a", "prefix": "a/"}), "spec.vault.secrets[0].prefix"},
		{"key of 513 characters", setSecrets(obj{"path": "kv/data/a", "key": strings.Repeat("k", 513), "targetKey": "t"}), "spec.vault.secrets[0].key"},

		{"issue path with a dotdot segment", func(o obj) {
			setSecrets(obj{"path": "pki/../sys", "key": "k", "targetKey": "t"})(o)
			setIssue(obj{"path": "pki/../sys", "params": obj{"a": "b"}})(o)
		}, `spec.vault.issue[0].path: Invalid value: "pki/../sys": path must not contain '.' or '..' segments`},
		{"params name with a space", setIssue(obj{"path": "kv/data/a", "params": obj{"a b": "x"}}), "params names must be 1 to 128 letters"},
		{"params name of 129 characters", setIssue(obj{"path": "kv/data/a", "params": obj{strings.Repeat("n", 129): "x"}}), "params names must be 1 to 128 letters"},
		{"params value of 4097 characters", setIssue(obj{"path": "kv/data/a", "params": obj{"a": strings.Repeat("v", 4097)}}), "params values must be at most 4096 characters"},

		{"secret with everything", setShape(obj{"type": "kubernetes.io/tls", "excludeRaw": true,
			"labels":      obj{"team": "payments", "example.com/tier": "backend", "empty": ""},
			"annotations": obj{"reloader.example.com/match": "true"},
			"templates":   []interface{}{tmplEntry("tls.crt", "{{ .Values.t }}"), tmplEntry("tls.key", "{{ .Values.t }}")}}), ""},
		{"secret type basic-auth", setShape(obj{"type": "kubernetes.io/basic-auth"}), "spec.secret.type: Unsupported value"},
		{"label in the operator's domain", setShape(obj{"labels": obj{"app.techweaver.io/managed-by": "me"}}), "label keys under app.techweaver.io/ and vaultapp.techweaver.io/ are the operator's own"},
		{"label in the operator's other domain", setShape(obj{"labels": obj{"vaultapp.techweaver.io/x": "y"}}), "are the operator's own"},
		{"label key with a space", setShape(obj{"labels": obj{"a b": "y"}}), "label keys must be qualified names"},
		{"label key with a name of 64 characters", setShape(obj{"labels": obj{strings.Repeat("k", 64): "y"}}), "label keys must be qualified names"},
		{"label value starting with a dash", setShape(obj{"labels": obj{"a": "-y"}}), "spec.secret.labels.a"},
		{"label value of 64 characters", setShape(obj{"labels": obj{"a": strings.Repeat("v", 64)}}), "spec.secret.labels.a"},
		{"33 labels", setShape(obj{"labels": manyProps(33, func(i int) string { return fmt.Sprintf("l%d", i) }, "v")}), "spec.secret.labels"},
		{"annotation in the operator's domain", setShape(obj{"annotations": obj{"vaultapp.techweaver.io/leases": "{}"}}), "annotation keys under app.techweaver.io/ and vaultapp.techweaver.io/ are the operator's own"},
		{"annotation value of 8193 characters", setShape(obj{"annotations": obj{"a": strings.Repeat("v", 8193)}}), "annotation values must be at most 8192 characters"},
		{"template name with a slash", setShape(obj{"templates": []interface{}{tmplEntry("a/b", "x")}}), "spec.secret.templates[0].name"},
		{"template of 64 KiB", setShape(obj{"templates": []interface{}{tmplEntry("a", strings.Repeat("x", 65536))}}), ""},
		{"template over 64 KiB", setShape(obj{"templates": []interface{}{tmplEntry("a", strings.Repeat("x", 65537))}}), "spec.secret.templates[0].template"},
		{"two templates of one name", setShape(obj{"templates": []interface{}{tmplEntry("a", "1"), tmplEntry("a", "2")}}), `spec.secret.templates[1]: Duplicate value: {"name":"a"}`},
		{"excludeRaw without templates", setShape(obj{"excludeRaw": true}), "excludeRaw needs templates"},
		{"template named like a targetKey", setShape(obj{"templates": []interface{}{tmplEntry("t", "x")}}), "a template's name is also the targetKey of a secrets entry"},
		{"template named like a targetKey with excludeRaw", setShape(obj{"excludeRaw": true, "templates": []interface{}{tmplEntry("t", "x")}}), ""},
		{"excludeRaw with an issued secret", func(o obj) {
			setShape(obj{"excludeRaw": true, "templates": []interface{}{tmplEntry("x", "1")}})(o)
			setIssue(obj{"path": "kv/data/a", "params": obj{"a": "b"}})(o)
		}, "excludeRaw cannot be used with spec.vault.issue"},
		{"lastHandledRefreshRequest of 257 characters", set("lastHandledRefreshRequest", strings.Repeat("1", 257), "status"), "status.lastHandledRefreshRequest"},

		{"every list and map at its maximum", maxed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := minimalVaultApp(t)
			tc.mutate(o)
			checkValidation(t, s, o, tc.wantErr)
		})
	}
}

func setIssue(issue obj) func(obj) {
	return func(o obj) { at(o, "spec", "vault")["issue"] = []interface{}{issue} }
}

func strings16Plus1() []interface{} {
	l := make([]interface{}, 17)
	for i := range l {
		l[i] = "x"
	}
	return l
}

// maxed fills every bounded list and map of the spec to its maximum with
// the longest values, to show the CEL rules stay within the apiserver's
// runtime cost budget.
func maxed(o obj) {
	var secrets []interface{}
	for i := 0; i < 256; i++ {
		e := obj{"path": fmt.Sprintf("kv/data/%0500d", i)}
		if i%2 == 0 {
			e["key"], e["targetKey"] = strings.Repeat("k", 512), fmt.Sprintf("%0253d", i)
		} else {
			e["include"], e["exclude"], e["prefix"] = longRegexes(), longRegexes(), strings.Repeat("p", 128)
		}
		secrets = append(secrets, e)
	}
	at(o, "spec", "vault")["secrets"] = secrets
	var issues []interface{}
	for i := 0; i < 16; i++ {
		issues = append(issues, obj{"path": fmt.Sprintf("kv/data/%0500d", i*2),
			"params": manyProps(32, func(j int) string { return fmt.Sprintf("%0128d", j) }, strings.Repeat("v", 4096))})
	}
	at(o, "spec", "vault")["issue"] = issues
	var templates []interface{}
	for i := 0; i < 32; i++ {
		templates = append(templates, tmplEntry(fmt.Sprintf("%0253d", 1000+i), "x"))
	}
	qualified := func(i int) string { return strings.Repeat("d", 240) + fmt.Sprintf(".io/%063d", i) }
	setShape(obj{"templates": templates,
		"labels":      manyProps(32, qualified, strings.Repeat("v", 63)),
		"annotations": manyProps(32, qualified, strings.Repeat("v", 8192))})(o)
}

func longRegexes() []interface{} {
	l := make([]interface{}, 16)
	for i := range l {
		l[i] = "^" + strings.Repeat("(a|b)", 51)
	}
	return l
}

// minimalVaultApp is the smallest valid VaultApp (testdata/minimal.yaml),
// as unstructured content.
func minimalVaultApp(t testing.TB) map[string]interface{} {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]interface{}{}
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// checkValidation validates obj and compares with wantErr ("" for valid,
// otherwise a substring of the error).
func checkValidation(t *testing.T, s *crdSchema, obj map[string]interface{}, wantErr string) {
	t.Helper()
	pruned, errs := s.validate(t, obj)
	if len(pruned) > 0 {
		t.Errorf("pruned %v", pruned)
	}
	got := errs.ToAggregate()
	switch {
	case wantErr == "" && got != nil:
		t.Errorf("want valid, got %v", got)
	case wantErr != "" && got == nil:
		t.Errorf("want an error containing %q, got none", wantErr)
	case wantErr != "" && !strings.Contains(got.Error(), wantErr):
		t.Errorf("want an error containing %q, got %v", wantErr, got)
	case got != nil && strings.Contains(got.Error(), "evaluating rule") && !strings.Contains(wantErr, "evaluating rule"):
		t.Errorf("a CEL rule failed to evaluate (a guard is missing): %v", got)
	}
}
