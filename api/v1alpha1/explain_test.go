package v1alpha1

import (
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// TestEveryFieldIsDocumented: `kubectl explain vaultapp.<field>` shows the
// schema's description, so every field of the spec and status has one
// (deploymentSpec is Kubernetes' own; list items of scalars are explained by
// their list).
func TestEveryFieldIsDocumented(t *testing.T) {
	v1crd, _ := loadCRD(t)
	root := v1crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	var missing []string
	var walk func(path string, p apiextensionsv1.JSONSchemaProps)
	walk = func(path string, p apiextensionsv1.JSONSchemaProps) {
		if path == "spec.deploymentSpec" || (strings.HasSuffix(path, "[]") && p.Type != "object") {
			return
		}
		if strings.TrimSpace(p.Description) == "" {
			missing = append(missing, path)
		}
		for name, child := range p.Properties {
			walk(path+"."+name, child)
		}
		if p.Items != nil && p.Items.Schema != nil {
			walk(path+"[]", *p.Items.Schema)
		}
	}
	for _, name := range []string{"spec", "status"} {
		walk(name, root.Properties[name])
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("fields without a description (kubectl explain shows nothing):\n%s", strings.Join(missing, "\n"))
	}
}
