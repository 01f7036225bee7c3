package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
)

// TestValuesSchemaRejectsTypos: values.schema.json makes helm lint and
// helm template/install refuse a misspelt or mistyped value instead of
// silently ignoring it, and accepts the defaults and the all-features file.
func TestValuesSchemaRejectsTypos(t *testing.T) {
	for _, args := range [][]string{
		{"--set", "vault.adress=https://vault:8200"},      // misspelt nested key
		{"--set", "replicaCont=2"},                        // misspelt top-level key
		{"--set", "replicaCount=two"},                     // wrong type
		{"--set", "vault.identity=operatr"},               // not one of the allowed values
		{"--set", "metrics.serviceMonitor.enable=true"},   // misspelt flag of an optional object
		{"--set", "grafanaDashboard.enabeld=true"},        // the same for the dashboard
		{"--set", "vaultAppRefreshInterval=5 minutes"},    // not a duration
		{"--set", "networkPolicy.metricsFrom=everywhere"}, // not a list
	} {
		if out, err := helm(append([]string{"lint", chartDir}, args...)...); err == nil {
			t.Errorf("helm lint accepted %v:\n%s", args, out)
		}
		_, err := helm(append([]string{"template", "vso", chartDir}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
			t.Errorf("helm template (the install path) accepted %v or failed otherwise: %v", args, err)
		}
	}
	if _, err := helm("lint", "--strict", chartDir, "-f", chartDir+"/ci/all-features-values.yaml"); err != nil {
		t.Errorf("the all-features values fail the schema: %v", err)
	}
}

// TestRenderedChartPassesServerSideDryRun: what helm renders with the
// default and with every feature on is accepted by the apiserver's own
// validation (schemas of the built-in kinds, the VaultApp CRD and
// prometheus-operator's CRDs), via kubectl apply --server-side --dry-run=server.
func TestRenderedChartPassesServerSideDryRun(t *testing.T) {
	ctx := context.Background()
	// The all-features values watch shop and web: the operator's Roles go there.
	for _, ns := range []string{"vault-sync-system", "monitoring", "shop", "web"} {
		if err := testRig.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	for name, args := range map[string][]string{
		"defaults":     nil,
		"all-features": {"-f", chartDir + "/ci/all-features-values.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			out := render(t, append([]string{"--include-crds"}, args...)...)
			file := filepath.Join(t.TempDir(), "rendered.yaml")
			if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(testRig.Binaries.Kubectl, "--kubeconfig", testRig.Kubeconfig,
				"apply", "--server-side", "--dry-run=server", "--field-manager=chart-test", "-f", file)
			res, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("server-side dry run: %v\n%s", err, res)
			}
			kinds := kindsOf(t, out)
			want := []string{"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "Deployment", "Service"}
			if name == "all-features" {
				want = append(want, "PodDisruptionBudget", "NetworkPolicy", "PrometheusRule", "ServiceMonitor", "ConfigMap")
			}
			for _, k := range want {
				if !kinds[k] {
					t.Errorf("rendered chart lacks a %s", k)
				}
			}
			t.Logf("%s", res)
		})
	}
}

// TestPodDisruptionBudgetOnlyWithReplicas: one replica gets no PDB (it
// would block every node drain); two get one keeping a pod up.
func TestPodDisruptionBudgetOnlyWithReplicas(t *testing.T) {
	if kindsOf(t, render(t))["PodDisruptionBudget"] {
		t.Error("a PodDisruptionBudget with one replica")
	}
	pdb := findKind(t, render(t, "--set", "replicaCount=2"), "PodDisruptionBudget")
	if v, _, _ := unstructured.NestedFieldNoCopy(pdb.Object, "spec", "minAvailable"); fmt.Sprint(v) != "1" {
		t.Errorf("minAvailable %v, want 1", v)
	}
	sel, _, _ := unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
	if sel["app.kubernetes.io/name"] != "vault-sync-operator" || sel["app.kubernetes.io/instance"] != "vso" {
		t.Errorf("PDB selects %v, not the operator's pods", sel)
	}
}

// TestNetworkPolicyOpensOnlyMetricsAndProbes: ingress is limited to the
// metrics port (from the configured peers) and the probe port; egress is
// restricted only when rules are given.
func TestNetworkPolicyOpensOnlyMetricsAndProbes(t *testing.T) {
	if kindsOf(t, render(t))["NetworkPolicy"] {
		t.Error("a NetworkPolicy without networkPolicy.enabled")
	}
	np := findKind(t, render(t, "--set", "networkPolicy.enabled=true"), "NetworkPolicy")
	types, _, _ := unstructured.NestedStringSlice(np.Object, "spec", "policyTypes")
	if !reflect.DeepEqual(types, []string{"Ingress"}) {
		t.Errorf("policyTypes %v, want only Ingress when no egress rules are set", types)
	}
	ingress, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
	var ports []string
	for _, rule := range ingress {
		ps, _, _ := unstructured.NestedSlice(rule.(map[string]any), "ports")
		for _, p := range ps {
			ports = append(ports, p.(map[string]any)["port"].(string))
		}
	}
	if !reflect.DeepEqual(ports, []string{"metrics", "probes"}) {
		t.Errorf("ingress ports %v, want metrics and probes", ports)
	}
	np = findKind(t, render(t, "-f", chartDir+"/ci/all-features-values.yaml"), "NetworkPolicy")
	types, _, _ = unstructured.NestedStringSlice(np.Object, "spec", "policyTypes")
	if !reflect.DeepEqual(types, []string{"Ingress", "Egress"}) {
		t.Errorf("policyTypes %v with egress rules", types)
	}
}

// TestMonitoringObjectsEmbedTheShippedFiles: the PrometheusRule carries
// exactly the groups of config/prometheus/alerts.yaml, and the dashboard
// ConfigMap exactly config/prometheus/dashboard.json with the label the
// Grafana sidecar of kube-prometheus-stack watches; both are off by default.
func TestMonitoringObjectsEmbedTheShippedFiles(t *testing.T) {
	def := kindsOf(t, render(t))
	if def["PrometheusRule"] || def["ConfigMap"] {
		t.Error("PrometheusRule or dashboard rendered by default")
	}
	out := render(t, "--set", "prometheusRule.enabled=true", "--set", "grafanaDashboard.enabled=true",
		"--set", "prometheusRule.labels.release=kube-prometheus-stack")
	rule := findKind(t, out, "PrometheusRule")
	var want map[string]any
	readYAMLFile(t, "config/prometheus/alerts.yaml", &want)
	if !reflect.DeepEqual(rule.Object["spec"], want) {
		t.Error("the PrometheusRule's spec differs from config/prometheus/alerts.yaml")
	}
	if rule.GetLabels()["release"] != "kube-prometheus-stack" {
		t.Errorf("prometheusRule.labels not applied: %v", rule.GetLabels())
	}
	cm := findKind(t, out, "ConfigMap")
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels %v lack grafana_dashboard: \"1\"", cm.GetLabels())
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	b, err := os.ReadFile(filepath.Join(root, "config/prometheus/dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(data["vault-sync-operator.json"]) != strings.TrimSpace(string(b)) {
		t.Error("the dashboard ConfigMap differs from config/prometheus/dashboard.json")
	}
	if !json.Valid([]byte(data["vault-sync-operator.json"])) {
		t.Error("the dashboard in the ConfigMap is not JSON")
	}
}

func kindsOf(t *testing.T, rendered string) map[string]bool {
	t.Helper()
	objs, err := manifests.Decode([]byte(rendered))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.GetKind()] = true
	}
	return kinds
}

func findKind(t *testing.T, rendered, kind string) *unstructured.Unstructured {
	t.Helper()
	objs, err := manifests.Decode([]byte(rendered))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() == kind {
			return o
		}
	}
	t.Fatalf("no %s rendered", kind)
	return nil
}

func readYAMLFile(t *testing.T, rel string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
}
