package v1alpha1

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"
)

// samplePath is the sample users start from; it must decode into the Go
// types without unknown fields.
var samplePath = filepath.Join("..", "..", "config", "samples", "app_v1alpha1_vaultapp.yaml")

func TestSampleDecodesStrictly(t *testing.T) {
	raw, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	var app VaultApp
	if err := yaml.UnmarshalStrict(raw, &app); err != nil {
		t.Fatalf("strict decode of %s: %v", samplePath, err)
	}

	if got := app.APIVersion; got != GroupVersion.String() {
		t.Errorf("apiVersion = %q, want %q", got, GroupVersion.String())
	}
	if app.Kind != "VaultApp" || app.Name != "billing-service" || app.Namespace != "default" {
		t.Errorf("kind/name/namespace = %q/%q/%q", app.Kind, app.Name, app.Namespace)
	}

	d := app.Spec.DeploymentSpec
	if d.Replicas == nil || *d.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", d.Replicas)
	}
	if d.Selector == nil || d.Selector.MatchLabels["app"] != "billing-service" {
		t.Errorf("selector = %v", d.Selector)
	}
	if d.Template.Labels["app"] != "billing-service" {
		t.Errorf("template labels = %v", d.Template.Labels)
	}
	if n := len(d.Template.Spec.Containers); n != 1 {
		t.Fatalf("%d containers, want 1", n)
	}
	c := d.Template.Spec.Containers[0]
	if c.Name != "billing-service" || c.Image != "my-registry/billing-service:1.3.0" {
		t.Errorf("container = %s %s", c.Name, c.Image)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http-metrics" || c.Ports[0].ContainerPort != 8081 {
		t.Errorf("ports = %+v", c.Ports)
	}

	v := app.Spec.Vault
	if v.Role != "billing-app" || v.AuthPath != "" || v.RefreshInterval != nil {
		t.Errorf("vault = role %q authPath %q refreshInterval %v", v.Role, v.AuthPath, v.RefreshInterval)
	}
	want := []SecretRef{
		{Path: "kv/data/billing/database", Key: "url", TargetKey: "db_url"},
		{Path: "kv/data/billing/provider-x", Key: "key", TargetKey: "provider_x_api_key"},
	}
	if len(v.Secrets) != len(want) {
		t.Fatalf("secrets = %+v, want %+v", v.Secrets, want)
	}
	for i := range want {
		if !reflect.DeepEqual(v.Secrets[i], want[i]) {
			t.Errorf("secrets[%d] = %+v, want %+v", i, v.Secrets[i], want[i])
		}
	}

	m := app.Spec.Monitoring
	if m == nil {
		t.Fatal("monitoring is nil")
	}
	// Interval is left to the CRD default ("30s"), which a plain decode does not apply.
	if want := (MonitoringSpec{Enabled: true, Port: "http-metrics", Path: "/actuator/prometheus"}); *m != want {
		t.Errorf("monitoring = %+v, want %+v", *m, want)
	}
}

func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	raw := []byte(`
apiVersion: app.techweaver.io/v1alpha1
kind: VaultApp
metadata: {name: x}
spec:
  deploymentSpec: {}
  vault:
    role: r
    secrets: [{path: a, key: b, targetKey: c, extra: d}]
`)
	var app VaultApp
	if err := yaml.UnmarshalStrict(raw, &app); err == nil {
		t.Fatal("unknown field secrets[0].extra was accepted")
	}
}

func TestMonitoringEnabledFalseIsSerialized(t *testing.T) {
	out, err := yaml.Marshal(MonitoringSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "enabled: false\n"; got != want {
		t.Errorf("marshalled %q, want %q", got, want)
	}
}

func TestSecretNameFor(t *testing.T) {
	for app, want := range map[string]string{
		"billing-service": "billing-service-vault-secrets",
		"a":               "a-vault-secrets",
	} {
		if got := SecretNameFor(app); got != want {
			t.Errorf("SecretNameFor(%q) = %q, want %q", app, got, want)
		}
	}
}

func TestDeepCopyIsIndependent(t *testing.T) {
	raw, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	var app VaultApp
	if err := yaml.UnmarshalStrict(raw, &app); err != nil {
		t.Fatal(err)
	}
	cp := app.DeepCopy()
	cp.Spec.Vault.Secrets[0].Key = "changed"
	cp.Spec.Monitoring.Path = "/changed"
	cp.Spec.DeploymentSpec.Template.Labels["app"] = "changed"
	if app.Spec.Vault.Secrets[0].Key != "url" || app.Spec.Monitoring.Path != "/actuator/prometheus" ||
		app.Spec.DeploymentSpec.Template.Labels["app"] != "billing-service" {
		t.Error("DeepCopy shares memory with the original")
	}
}
