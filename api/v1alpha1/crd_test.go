package v1alpha1

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsinstall "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// These tests run the generated CRD through the apiserver's own CRD and
// custom resource validation code (no apiserver needed): the CRD must be
// accepted (structural schema, CEL rules compile and stay within the cost
// limits) and the sample must be valid verbatim, with nothing pruned.

var crdPath = filepath.Join("..", "..", "config", "crd", "bases", "app.techweaver.io_vaultapps.yaml")

// crdSchema holds what the apiserver derives from the CRD for v1alpha1.
type crdSchema struct {
	internal   *apiextensions.JSONSchemaProps
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

func loadCRD(t testing.TB) (*apiextensionsv1.CustomResourceDefinition, *apiextensions.CustomResourceDefinition) {
	t.Helper()
	raw, err := os.ReadFile(crdPath)
	if err != nil {
		t.Fatal(err)
	}
	v1crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, v1crd); err != nil {
		t.Fatalf("decode %s: %v", crdPath, err)
	}
	scheme := runtime.NewScheme()
	apiextensionsinstall.Install(scheme)
	defaulted := v1crd.DeepCopy()
	scheme.Default(defaulted)
	internal := &apiextensions.CustomResourceDefinition{}
	if err := scheme.Convert(defaulted, internal, nil); err != nil {
		t.Fatal(err)
	}
	return v1crd, internal
}

func loadSchema(t testing.TB) *crdSchema {
	t.Helper()
	_, crd := loadCRD(t)
	// The internal version holds a schema shared by all versions in
	// spec.validation.
	if crd.Spec.Validation == nil || crd.Spec.Validation.OpenAPIV3Schema == nil {
		t.Fatal("the CRD has no schema")
	}
	s := &crdSchema{internal: crd.Spec.Validation.OpenAPIV3Schema}
	var err error
	if s.structural, err = structuralschema.NewStructural(s.internal); err != nil {
		t.Fatal(err)
	}
	if s.validator, _, err = apiservervalidation.NewSchemaValidator(s.internal); err != nil {
		t.Fatal(err)
	}
	s.cel = cel.NewValidator(s.structural, true, celconfig.PerCallLimit)
	return s
}

// validate does what the apiserver does on create (see
// customResourceStrategy.Validate in k8s.io/apiextensions-apiserver): prune,
// default, validate the schema, embedded metadata and list types, then the
// CEL rules unless an earlier error blocks them. It returns the pruned field
// paths and the validation errors.
func (s *crdSchema) validate(t testing.TB, obj map[string]interface{}) ([]string, field.ErrorList) {
	t.Helper()
	ctx := context.Background()
	pruned := pruning.PruneWithOptions(obj, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	defaulting.Default(obj, s.structural)
	errs := apiservervalidation.ValidateCustomResource(nil, obj, s.validator)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj, s.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, s.structural, obj)...)
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return pruned, errs
		}
	}
	celErrs, _ := s.cel.Validate(ctx, nil, s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	return pruned, append(errs, celErrs...)
}

func TestCRDIsAcceptedByTheAPIServerValidation(t *testing.T) {
	v1crd, crd := loadCRD(t)
	if errs := crdvalidation.ValidateCustomResourceDefinition(context.Background(), crd); len(errs) > 0 {
		t.Fatalf("the apiserver would reject the CRD:\n%v", errs.ToAggregate())
	}

	if got := v1crd.Spec.Names.ShortNames; strings.Join(got, ",") != "va,vapp" {
		t.Errorf("shortNames = %v", got)
	}
	if got := v1crd.Spec.Names.Categories; strings.Join(got, ",") != "all" {
		t.Errorf("categories = %v", got)
	}
	if v1crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("scope = %s", v1crd.Spec.Scope)
	}
	v := v1crd.Spec.Versions[0]
	if v.Name != GroupVersion.Version || !v.Served || !v.Storage || v.Subresources == nil || v.Subresources.Status == nil {
		t.Errorf("version %s served=%v storage=%v subresources=%+v", v.Name, v.Served, v.Storage, v.Subresources)
	}
	var cols []string
	for _, c := range v.AdditionalPrinterColumns {
		cols = append(cols, fmt.Sprintf("%s:%s:%d", c.Name, c.JSONPath, c.Priority))
	}
	want := []string{
		`Ready:.status.conditions[?(@.type=="Ready")].status:0`,
		`Reason:.status.conditions[?(@.type=="Ready")].reason:1`,
		`Secret:.status.secretName:0`,
		`Age:.metadata.creationTimestamp:0`,
	}
	if strings.Join(cols, " ") != strings.Join(want, " ") {
		t.Errorf("printer columns = %v, want %v", cols, want)
	}
}

func TestSampleIsValidAgainstCRD(t *testing.T) {
	s := loadSchema(t)
	raw, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]interface{}{}
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	pruned, errs := s.validate(t, obj)
	if len(pruned) > 0 {
		t.Errorf("the apiserver would drop unknown fields of the sample: %v", pruned)
	}
	if len(errs) > 0 {
		t.Errorf("the sample is invalid: %v", errs.ToAggregate())
	}
	// Defaults the CRD fills in.
	mon := obj["spec"].(map[string]interface{})["monitoring"].(map[string]interface{})
	if mon["interval"] != "30s" || mon["path"] != "/actuator/prometheus" {
		t.Errorf("monitoring after defaulting = %v", mon)
	}
}

// TestValidationRules checks each pattern and CEL rule of the spec, both
// ways, starting from a minimal valid VaultApp.
func TestValidationRules(t *testing.T) {
	s := loadSchema(t)
	base := func() map[string]interface{} { return minimalVaultApp(t) }
	spec := func(obj map[string]interface{}) map[string]interface{} { return obj["spec"].(map[string]interface{}) }
	vault := func(obj map[string]interface{}) map[string]interface{} {
		return spec(obj)["vault"].(map[string]interface{})
	}
	secret := func(path, key, target string) map[string]interface{} {
		return map[string]interface{}{"path": path, "key": key, "targetKey": target}
	}
	setPath := func(p string) func(map[string]interface{}) {
		return func(obj map[string]interface{}) { vault(obj)["secrets"] = []interface{}{secret(p, "k", "t")} }
	}
	setTarget := func(k string) func(map[string]interface{}) {
		return func(obj map[string]interface{}) { vault(obj)["secrets"] = []interface{}{secret("kv/a", "k", k)} }
	}
	setRefresh := func(d string) func(map[string]interface{}) {
		return func(obj map[string]interface{}) { vault(obj)["refreshInterval"] = d }
	}
	setMonitoring := func(k, v string) func(map[string]interface{}) {
		return func(obj map[string]interface{}) {
			spec(obj)["monitoring"] = map[string]interface{}{"enabled": true, k: v}
		}
	}
	setIssue := func(issue map[string]interface{}) func(map[string]interface{}) {
		return func(obj map[string]interface{}) { vault(obj)["issue"] = []interface{}{issue} }
	}
	many := func(n, keyLen int, sameTarget bool) func(map[string]interface{}) {
		return func(obj map[string]interface{}) {
			var l []interface{}
			for i := 0; i < n; i++ {
				target := fmt.Sprintf("%0*d", keyLen, i) // long keys make rules that compare keys expensive
				if sameTarget {
					target = "same"
				}
				l = append(l, secret(fmt.Sprintf("kv/data/%d", i), "k", target))
			}
			vault(obj)["secrets"] = l
		}
	}

	for _, tc := range []struct {
		name    string
		mutate  func(map[string]interface{})
		wantErr string // empty: valid
	}{
		{"minimal", func(map[string]interface{}) {}, ""},
		{"path with dots in names", setPath("kv/data/a.b/..c/d.."), ""},
		{"path with dashes and underscores", setPath("kv/data/billing/provider-x_1"), ""},
		{"path leading slash", setPath("/kv/data/a"), "spec.vault.secrets[0].path"},
		{"path trailing slash", setPath("kv/data/a/"), "spec.vault.secrets[0].path"},
		{"path double slash", setPath("kv//a"), "spec.vault.secrets[0].path"},
		{"path space", setPath("kv/data/a b"), "spec.vault.secrets[0].path"},
		{"path tab", setPath("kv/data/a\tb"), "spec.vault.secrets[0].path"},
		{"path dotdot segment", setPath("kv/data/../sys"), "path must not contain '.' or '..' segments"},
		{"path dotdot last", setPath("kv/.."), "path must not contain '.' or '..' segments"},
		{"path dot segment", setPath("kv/./a"), "path must not contain '.' or '..' segments"},
		{"path empty", setPath(""), "spec.vault.secrets[0].path"},
		{"path too long", setPath(strings.Repeat("a", 513)), "spec.vault.secrets[0].path"},
		{"path max length", setPath(strings.Repeat("a", 512)), ""},
		{"targetKey with dot and dash", setTarget("app.config-file_1"), ""},
		{"targetKey slash", setTarget("a/b"), "spec.vault.secrets[0].targetKey"},
		{"targetKey space", setTarget("a b"), "spec.vault.secrets[0].targetKey"},
		{"targetKey empty", setTarget(""), "spec.vault.secrets[0].targetKey"},
		{"targetKey too long", setTarget(strings.Repeat("a", 254)), "spec.vault.secrets[0].targetKey"},
		{"targetKey duplicate", func(obj map[string]interface{}) {
			vault(obj)["secrets"] = []interface{}{secret("kv/a", "x", "t"), secret("kv/b", "y", "t")}
		}, `spec.vault.secrets: Invalid value: "array": insert failed: key t already exists evaluating rule: Duplicate value: each targetKey may appear once in secrets`},
		{"same path and key twice to different targets", func(obj map[string]interface{}) {
			vault(obj)["secrets"] = []interface{}{secret("kv/a", "x", "t1"), secret("kv/a", "x", "t2")}
		}, ""},
		{"256 secrets with the longest distinct targetKeys", many(256, 253, false), ""},
		{"257 secrets", many(257, 3, false), "spec.vault.secrets"},
		{"256 secrets with one targetKey", many(256, 4, true), "key same already exists evaluating rule: Duplicate value"},
		{"no secrets", func(obj map[string]interface{}) { vault(obj)["secrets"] = []interface{}{} }, "spec.vault.secrets"},
		{"empty role", func(obj map[string]interface{}) { vault(obj)["role"] = "" }, "spec.vault.role"},
		{"no vault", func(obj map[string]interface{}) { delete(spec(obj), "vault") }, "spec.vault"},
		{"no deploymentSpec", func(obj map[string]interface{}) { delete(spec(obj), "deploymentSpec") }, "spec.deploymentSpec"},
		{"refreshInterval 10s", setRefresh("10s"), ""},
		{"refreshInterval 1h30m", setRefresh("1h30m"), ""},
		{"refreshInterval 9s", setRefresh("9s"), "refreshInterval must be at least 10s"},
		{"refreshInterval 500ms", setRefresh("500ms"), "refreshInterval must be at least 10s"},
		{"refreshInterval 2.5m", setRefresh("2.5m"), ""},
		{"refreshInterval not a duration", setRefresh("soon"), "spec.vault.refreshInterval in body should match"},
		{"refreshInterval without unit", setRefresh("30"), "spec.vault.refreshInterval in body should match"},
		{"refreshInterval negative", setRefresh("-5m"), "spec.vault.refreshInterval in body should match"},
		{"monitoring path", setMonitoring("path", "/actuator/prometheus"), ""},
		{"monitoring path relative", setMonitoring("path", "metrics"), "spec.monitoring.path"},
		{"monitoring interval 1m30s", setMonitoring("interval", "1m30s"), ""},
		{"monitoring interval 1s", setMonitoring("interval", "1s"), ""},
		{"monitoring interval 500ms", setMonitoring("interval", "500ms"), "interval must be at least 1s and at most 1h"},
		{"monitoring interval without unit", setMonitoring("interval", "30"), "spec.monitoring.interval"},
		{"monitoring interval days", setMonitoring("interval", "1d"), "spec.monitoring.interval"},
		{"rolloutStrategy none", func(obj map[string]interface{}) { spec(obj)["rolloutStrategy"] = "none" }, ""},
		{"rolloutStrategy restart", func(obj map[string]interface{}) { spec(obj)["rolloutStrategy"] = "restart" }, ""},
		{"rolloutStrategy unknown", func(obj map[string]interface{}) { spec(obj)["rolloutStrategy"] = "recreate" }, "spec.rolloutStrategy"},
		{"authMethod jwt", func(obj map[string]interface{}) { vault(obj)["authMethod"] = "jwt" }, ""},
		{"authMethod unknown", func(obj map[string]interface{}) { vault(obj)["authMethod"] = "oidc" }, "spec.vault.authMethod"},
		{"pki issue", setIssue(map[string]interface{}{"path": "kv/data/a", "pki": map[string]interface{}{"commonName": "web.example.com", "altNames": []interface{}{"web"}, "ttl": "24h"}}), ""},
		{"params issue", setIssue(map[string]interface{}{"path": "kv/data/a", "params": map[string]interface{}{"kubernetes_namespace": "web"}}), ""},
		{"issue without pki or params", setIssue(map[string]interface{}{"path": "kv/data/a"}), "set exactly one of pki and params"},
		{"issue with pki and params", setIssue(map[string]interface{}{"path": "kv/data/a", "params": map[string]interface{}{"a": "b"}, "pki": map[string]interface{}{"commonName": "x"}}), "set exactly one of pki and params"},
		{"issue path no secret uses", setIssue(map[string]interface{}{"path": "pki/issue/web", "pki": map[string]interface{}{"commonName": "x"}}), "every issue[].path must also be the path of an entry in secrets"},
		{"pki without commonName", setIssue(map[string]interface{}{"path": "kv/data/a", "pki": map[string]interface{}{"ttl": "1h"}}), "spec.vault.issue[0].pki.commonName"},
		{"pki ttl days", setIssue(map[string]interface{}{"path": "kv/data/a", "pki": map[string]interface{}{"commonName": "x", "ttl": "30d"}}), "spec.vault.issue[0].pki.ttl"},
		{"16 issues on 256 long paths", func(obj map[string]interface{}) {
			many(256, 253, false)(obj)
			var l []interface{}
			for i := 0; i < 16; i++ {
				l = append(l, map[string]interface{}{"path": fmt.Sprintf("kv/data/%d", 255-i), "params": map[string]interface{}{"a": "b"}})
			}
			vault(obj)["issue"] = l
		}, ""},
		{"leases", func(obj map[string]interface{}) {
			vault(obj)["leases"] = map[string]interface{}{"revokeOnDelete": false, "revokeGracePeriod": "2m"}
		}, ""},
		{"leases grace not a duration", func(obj map[string]interface{}) {
			vault(obj)["leases"] = map[string]interface{}{"revokeGracePeriod": "later"}
		}, "spec.vault.leases.revokeGracePeriod"},
		{"monitoring without enabled", func(obj map[string]interface{}) {
			spec(obj)["monitoring"] = map[string]interface{}{"port": "http"}
		}, "spec.monitoring.enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := base()
			tc.mutate(obj)
			checkValidation(t, s, obj, tc.wantErr)
		})
	}
}
