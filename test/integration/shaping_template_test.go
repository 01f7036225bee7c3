package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestShapeTemplatesCombineTwoPaths applies
// examples/vaultapp/config-template.yaml: with excludeRaw the Secret holds
// exactly the two rendered files, each combining values of two Vault
// paths, and a value changed in one path is rendered into both.
func TestShapeTemplatesCombineTwoPaths(t *testing.T) {
	RegisterTestingT(t)
	app := applyExample("config-template.yaml")
	eventuallySynced(app.Name)
	Expect(appSecret(app.Name).Data).To(Equal(map[string][]byte{
		"config.yaml":            []byte("database:\n  url: \"postgres://billing@db.shape.svc:5432/billing\"\nproviderX:\n  apiKey: \"px-123\"\n"),
		"application.properties": []byte("spring.datasource.url=postgres://billing@db.shape.svc:5432/billing\nprovider.x.api-key=px-123\n"),
	}))

	env.PutKV("kv/data/shape/billing/provider-x", map[string]any{"key": "px-456"})
	requestRefresh(app.Name, "templates-1")
	Eventually(func() map[string]string {
		d := appSecret(app.Name).Data
		return map[string]string{"config.yaml": string(d["config.yaml"]), "application.properties": string(d["application.properties"])}
	}, 5*time.Second, 100*time.Millisecond).Should(And(
		HaveKeyWithValue("config.yaml", ContainSubstring(`apiKey: "px-456"`)),
		HaveKeyWithValue("application.properties", ContainSubstring("provider.x.api-key=px-456"))))
	expectNoValueLeaked(app.Name)
}

// Templates of config-template.yaml with errors, and a good edit.
const (
	// configMissingKey is docs/secret-shaping.md's example of an error.
	configMissingKey = "database:\n  url: {{ .Values.db_url | toJson }}\nproviderX:\n  apiKey: {{ .Values.api_key | toJson }}\n"
	// propertiesRangeOverValue fails with a message that, unfiltered, quotes the value.
	propertiesRangeOverValue = "spring.datasource.url={{ .Values.db_url }}\nprovider.x.api-key={{ range .Values.provider_x_api_key }}{{ . }}{{ end }}\n"
	configEdited             = "# edited\ndatabase:\n  url: {{ .Values.db_url | toJson }}\n"
	propertiesEdited         = "provider.x.api-key={{ .Values.provider_x_api_key }}\nprovider.x.enabled=true\n"
)

// TestShapeTemplateErrorKeepsTheLastGoodSecret: a template that fails sets
// SecretsSynced=False/TemplateFailed naming the template, line and column
// and never a value (text/template's own message would quote it), with
// the same event; the Secret keeps its last good data (never half of an
// edit that also changed a good template) and the pods do not roll. Fixing
// the template writes it and rolls the pods once, counted as
// template_changed.
func TestShapeTemplateErrorKeepsTheLastGoodSecret(t *testing.T) {
	RegisterTestingT(t)
	app := createExampleAs("config-template.yaml", "billing-config-errors", nil)
	dep := eventuallySynced(app.Name)
	sec, source := appSecret(app.Name), env.AppStatus(shapeNS, app.Name).SourceVersion

	setTemplates := func(config, properties string) {
		patchApp(app.Name, func(a *appv1alpha1.VaultApp) {
			a.Spec.Secret.Templates[0].Template, a.Spec.Secret.Templates[1].Template = config, properties
		})
	}
	unchanged := func() []string {
		return []string{appSecret(app.Name).ResourceVersion, e2e.Get(env.Client, shapeNS, app.Name, &appsv1.Deployment{}).ResourceVersion}
	}
	setTemplates(configMissingKey, app.Spec.Secret.Templates[1].Template)
	Eventually(env.ConditionWithMessage(shapeNS, app.Name, appv1alpha1.ConditionSecretsSynced), 10*time.Second, 100*time.Millisecond).
		Should(Equal(`False/TemplateFailed: spec.secret.templates[0] (template "config.yaml"): line 4, column 20: at <.Values.api_key>: map has no entry for key "api_key"`))

	setTemplates(configEdited, propertiesRangeOverValue)
	Eventually(env.ConditionWithMessage(shapeNS, app.Name, appv1alpha1.ConditionSecretsSynced), 10*time.Second, 100*time.Millisecond).
		Should(Equal(`False/TemplateFailed: spec.secret.templates[1] (template "application.properties"): line 2, column 35: at <.Values.provider_x_api_key>: ` +
			`range can't iterate over this value (to loop over the parts of a string, use splitList)`))
	Expect(env.Condition(shapeNS, app.Name, appv1alpha1.ConditionReady)()).To(Equal("False/TemplateFailed"))
	env.EventuallyEvent(shapeNS, app.Name, `TemplateFailed: spec.secret.templates[1] (template "application.properties"): line 2, column 35`)
	Consistently(unchanged, 2*time.Second, 200*time.Millisecond).Should(Equal([]string{sec.ResourceVersion, dep.ResourceVersion}),
		"the Secret keeps its last good data, the Deployment its version")
	Expect(appSecret(app.Name).Data).To(Equal(sec.Data))
	expectNoValueLeaked(app.Name)

	before := op.Metric(rolloutsMetric, "reason", "template_changed")()
	setTemplates(configEdited, propertiesEdited)
	Eventually(func() string { return string(appSecret(app.Name).Data["application.properties"]) }, 10*time.Second, 100*time.Millisecond).
		Should(HaveSuffix("provider.x.enabled=true\n"))
	Expect(string(appSecret(app.Name).Data["config.yaml"])).To(HavePrefix("# edited\n"))
	Eventually(env.Condition(shapeNS, app.Name, appv1alpha1.ConditionSecretsSynced), 5*time.Second).Should(Equal("True/Succeeded"))
	expectNewSecretVersion(app.Name, dep, expectOneRollout(app.Name, dep, "template_changed", before))
	Expect(env.AppStatus(shapeNS, app.Name).SourceVersion).To(Equal(source), "the values read from Vault did not change")
	expectNoDriftReported(app.Name)
	expectNoValueLeaked(app.Name)
}

// TestShapeTemplateNamedDotDotIsRefused: no Secret key may be "." or
// ".." (the kubelet keeps its own files under such names): the CRD refuses
// such a template name at admission, naming the field; the controller
// refuses it too (InvalidSpec, internal/secretdata) for objects an older
// CRD admitted.
func TestShapeTemplateNamedDotDotIsRefused(t *testing.T) {
	RegisterTestingT(t)
	app := env.LoadVaultApp("examples/vaultapp/config-template.yaml")
	app.Name = "billing-config-dotdot"
	app.Spec.Secret.Templates[1].Name = ".."
	err := env.Client.Create(context.Background(), app)
	Expect(err).To(MatchError(ContainSubstring(`spec.secret.templates[1].name: Invalid value: ".."`)))
	expectNothingWritten(app.Name)
}
