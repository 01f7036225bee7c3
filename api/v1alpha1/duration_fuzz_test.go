package v1alpha1

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// durationField is one duration field of the spec, with its schema in the
// generated CRD.
type durationField struct {
	name    string
	schema  []string // property names from the root schema; "items" enters a list
	set     func(o obj, v string)
	decoded func(a *VaultApp) *Duration // nil for monitoring.interval, a string
}

var durationFields = []durationField{
	{"spec.vault.refreshInterval", []string{"spec", "vault", "refreshInterval"},
		func(o obj, v string) { set("refreshInterval", v, "spec", "vault")(o) },
		func(a *VaultApp) *Duration { return a.Spec.Vault.RefreshInterval }},
	{"spec.vault.leases.revokeGracePeriod", []string{"spec", "vault", "leases", "revokeGracePeriod"},
		func(o obj, v string) { set("revokeGracePeriod", v, "spec", "vault", "leases")(o) },
		func(a *VaultApp) *Duration { return a.Spec.Vault.Leases.RevokeGracePeriod }},
	{"spec.vault.issue[0].pki.ttl", []string{"spec", "vault", "issue", "items", "pki", "ttl"},
		func(o obj, v string) { setIssue(obj{"path": "kv/data/a", "pki": obj{"commonName": "x", "ttl": v}})(o) },
		func(a *VaultApp) *Duration { return a.Spec.Vault.Issue[0].PKI.TTL }},
	{"spec.monitoring.interval", []string{"spec", "monitoring", "interval"},
		func(o obj, v string) { set("monitoring", obj{"enabled": true, "interval": v}, "spec")(o) },
		nil},
}

// schemaOf is the property at path in the CRD's schema.
func schemaOf(t testing.TB, crd *apiextensionsv1.CustomResourceDefinition, path []string) apiextensionsv1.JSONSchemaProps {
	p := *crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	for _, name := range path {
		if name == "items" {
			p = *p.Items.Schema
			continue
		}
		next, ok := p.Properties[name]
		if !ok {
			t.Fatalf("no property %s in the CRD", strings.Join(path, "."))
		}
		p = next
	}
	return p
}

// FuzzDurationFields: for every duration field, whatever string the CRD's
// pattern and length admit decodes without error in Go, and the apiserver
// and ValidateSpec agree on it: everything the apiserver accepts, the Go
// types decode and the controller accepts.
func FuzzDurationFields(f *testing.F) {
	for _, seed := range []string{"10s", "9s", "9.999999999s", "168h", "168h0m1s", "999999h999999h99999h", "3000000h",
		"0s", "1h", "1h1s", "1m30s", "30s1m", "500ms", "1000ms", "0.5s", "87600h", "87600h1s", "", "1e3s", "-5m", "5.s", "1µs"} {
		f.Add(seed, []byte(seed))
	}
	s := loadSchema(f)
	v1crd, _ := loadCRD(f)
	type compiled struct {
		durationField
		pattern        *regexp.Regexp
		minLen, maxLen int64
	}
	var fields []compiled
	for _, d := range durationFields {
		p := schemaOf(f, v1crd, d.schema)
		c := compiled{durationField: d, pattern: regexp.MustCompile(p.Pattern), maxLen: *p.MaxLength}
		if p.MinLength != nil {
			c.minLen = *p.MinLength
		}
		fields = append(fields, c)
	}
	f.Fuzz(func(t *testing.T, raw string, gen []byte) {
		for _, value := range []string{raw, generateDuration(gen)} {
			for _, fd := range fields {
				admitted := fd.pattern.MatchString(value) && int64(len(value)) <= fd.maxLen && int64(len(value)) >= fd.minLen
				o := minimalVaultApp(t)
				fd.set(o, value)
				apiserverOK := noErrors(s.validate(t, deepCopyJSON(t, o)))
				app := decodeApp(t, o)
				goOK := !hasFieldError(app, fd.name)
				if admitted && fd.decoded != nil && fd.decoded(app).Err() != nil {
					t.Fatalf("%s: %q matches the CRD's pattern but does not decode: %v", fd.name, value, fd.decoded(app).Err())
				}
				if apiserverOK && !goOK {
					t.Fatalf("%s: %q is admitted by the apiserver but refused by ValidateSpec: %v", fd.name, value, app.ValidateSpec())
				}
				if admitted && apiserverOK != goOK {
					t.Fatalf("%s: %q: apiserver accepts=%v, ValidateSpec accepts=%v", fd.name, value, apiserverOK, goOK)
				}
			}
		}
	})
}

// generateDuration makes a string of the CRD's shape from fuzz bytes:
// components of 1 to 6 digits, an optional fraction, and a unit.
func generateDuration(b []byte) string {
	units := []string{"h", "m", "s", "ms", "us", "ns"}
	var sb strings.Builder
	for len(b) >= 3 {
		n := int(b[0]%6) + 1
		for i := 0; i < n; i++ {
			sb.WriteByte('0' + b[(i+1)%len(b)]%10)
		}
		if b[1]&1 == 1 {
			sb.WriteString(".5")
		}
		sb.WriteString(units[int(b[2])%len(units)])
		b = b[3:]
	}
	return sb.String()
}

func noErrors(pruned []string, errs field.ErrorList) bool {
	return len(pruned) == 0 && errs.ToAggregate() == nil
}

func hasFieldError(app *VaultApp, field string) bool {
	for _, e := range app.ValidateSpec() {
		if e.Field == field {
			return true
		}
	}
	return false
}

// decodeApp decodes o into the Go types; a decode error fails the test.
func decodeApp(t testing.TB, o obj) *VaultApp {
	var app VaultApp
	viaJSON(t, o, &app)
	return &app
}

// deepCopyJSON copies o through JSON (validation defaults and prunes it).
func deepCopyJSON(t testing.TB, o obj) obj {
	var out obj
	viaJSON(t, o, &out)
	return out
}

// viaJSON encodes in and decodes it into out.
func viaJSON(t testing.TB, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode into %T: %v", out, err)
	}
}

func TestDurationBoundsAgreeWithCRD(t *testing.T) {
	for _, tc := range []struct {
		field string
		min   time.Duration
		max   time.Duration
	}{
		{"refreshInterval", MinRefreshInterval, MaxRefreshInterval},
		{"revokeGracePeriod", 0, MaxRevokeGracePeriod},
		{"ttl", MinPKITTL, MaxPKITTL},
		{"interval", MinMonitoringInterval, MaxMonitoringInterval},
	} {
		v1crd, _ := loadCRD(t)
		var rule string
		for _, d := range durationFields {
			if strings.HasSuffix(d.name, "."+tc.field) {
				rule = schemaOf(t, v1crd, d.schema).XValidations[0].Rule
			}
		}
		if tc.min > 0 && !strings.Contains(rule, "duration(self) >= duration('"+shortDuration(tc.min)+"')") {
			t.Errorf("%s: the CEL rule %q does not state the minimum %s", tc.field, rule, tc.min)
		}
		if !strings.Contains(rule, "duration(self) <= duration('"+shortDuration(tc.max)+"')") {
			t.Errorf("%s: the CEL rule %q does not state the maximum %s", tc.field, rule, tc.max)
		}
	}
}

// shortDuration writes d as the CRD's rules do: "10s", "168h", "1m".
func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
