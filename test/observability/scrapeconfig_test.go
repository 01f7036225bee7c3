package observability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/monitoring"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

const (
	promNamespace = "monitoring"
	promName      = "vaultapps"
	appsNamespace = "obs-apps"
)

// TestServiceMonitorBecomesScrapeJob: for a VaultApp with monitoring
// enabled, the configuration prometheus-operator generates for a
// Prometheus selecting the operator's ServiceMonitors has a job scraping
// the spec's port, path and interval; prometheus-operator reports the
// ServiceMonitor accepted; the job goes when monitoring is disabled, comes
// back when enabled, and goes when the VaultApp is deleted.
func TestServiceMonitorBecomesScrapeJob(t *testing.T) {
	defer showLogs(t)
	ctx := context.Background()
	createPrometheus(t, ctx)
	app := vaultApp("metered", roleReader, "kv/data/obs/app")
	app.Spec.Monitoring = &appv1alpha1.MonitoringSpec{Enabled: true, Port: "http-metrics", Path: "/stats", Interval: "15s"}
	if err := env.Client.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	want := jobSpec{Port: "http-metrics", Path: "/stats", Interval: "15s"}
	jobName := "serviceMonitor/" + appsNamespace + "/metered/0"
	waitJob(t, ctx, jobName, &want)

	var sm monitoringv1.ServiceMonitor
	eventually(t, 60*time.Second, "prometheus-operator reports the ServiceMonitor accepted", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: appsNamespace, Name: "metered"}, &sm); err != nil {
			return err
		}
		if a := monitoring.ServiceMonitorAcceptance(&sm); !a.Known || !a.Accepted || !slices.Equal(a.AcceptedBy, []string{promNamespace + "/" + promName}) {
			return fmt.Errorf("acceptance %+v from status %+v", a, sm.Status)
		}
		return nil
	})

	setMonitoring(t, ctx, "metered", false)
	waitJob(t, ctx, jobName, nil)
	setMonitoring(t, ctx, "metered", true)
	waitJob(t, ctx, jobName, &want)

	if err := env.Client.Delete(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitJob(t, ctx, jobName, nil)
}

// TestRejectedServiceMonitorIsReported: a ServiceMonitor that
// prometheus-operator rejects (its scrape timeout exceeds its interval)
// gets no scrape job, and the status prometheus-operator writes turns into
// a rejection with the reason and message that the VaultApp's
// MonitoringReady condition can show (internal/monitoring).
func TestRejectedServiceMonitorIsReported(t *testing.T) {
	defer showLogs(t)
	ctx := context.Background()
	createPrometheus(t, ctx)
	sm := &monitoringv1.ServiceMonitor{
		ObjectMeta: metav1.ObjectMeta{Name: "too-slow", Namespace: appsNamespace,
			Labels: map[string]string{appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue}},
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector:  metav1.LabelSelector{MatchLabels: map[string]string{"app": "too-slow"}},
			Endpoints: []monitoringv1.Endpoint{{Port: "http-metrics", Interval: "30s", ScrapeTimeout: "60s"}},
		},
	}
	if err := env.Client.Create(ctx, sm); err != nil {
		t.Fatal(err)
	}
	defer env.Client.Delete(ctx, sm)
	var got monitoring.Acceptance
	eventually(t, 60*time.Second, "prometheus-operator reports the ServiceMonitor rejected", func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(sm), sm); err != nil {
			return err
		}
		if got = monitoring.ServiceMonitorAcceptance(sm); !got.Known || got.Accepted {
			return fmt.Errorf("acceptance %+v from status %+v", got, sm.Status)
		}
		return nil
	})
	if got.Reason != monitoring.ReasonServiceMonitorRejected {
		t.Errorf("reason %q", got.Reason)
	}
	for _, want := range []string{"Prometheus " + promNamespace + "/" + promName, "InvalidConfiguration", "scrapeTimeout"} {
		if !strings.Contains(got.Message, want) {
			t.Errorf("message %q lacks %q", got.Message, want)
		}
	}
	cfg := generatedConfig(t, ctx)
	if _, ok := cfg["serviceMonitor/"+appsNamespace+"/too-slow/0"]; ok {
		t.Error("prometheus-operator generated a job for the rejected ServiceMonitor")
	}
}

// createPrometheus creates (once) the Prometheus object that selects every
// ServiceMonitor the operator manages, in all namespaces.
func createPrometheus(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, ns := range []string{promNamespace, appsNamespace} {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	p := &monitoringv1.Prometheus{
		ObjectMeta: metav1.ObjectMeta{Name: promName, Namespace: promNamespace},
		Spec: monitoringv1.PrometheusSpec{CommonPrometheusFields: monitoringv1.CommonPrometheusFields{
			ServiceMonitorSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue}},
			ServiceMonitorNamespaceSelector: &metav1.LabelSelector{},
		}},
	}
	if err := env.Client.Create(ctx, p); client.IgnoreAlreadyExists(err) != nil {
		t.Fatal(err)
	}
}

// vaultApp is e2e.NewVaultApp in appsNamespace reading one key with role,
// its container serving metrics on a port named http-metrics.
func vaultApp(name, role, path string) *appv1alpha1.VaultApp {
	app := e2e.NewVaultApp(appsNamespace, name, role, appv1alpha1.SecretRef{Path: path, Key: "token", TargetKey: "token"})
	app.Spec.DeploymentSpec.Template.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http-metrics", ContainerPort: 9102}}
	return app
}

func setMonitoring(t *testing.T, ctx context.Context, name string, enabled bool) {
	t.Helper()
	var app appv1alpha1.VaultApp
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: appsNamespace, Name: name}, &app); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(app.DeepCopy())
	app.Spec.Monitoring.Enabled = enabled
	if err := env.Client.Patch(ctx, &app, patch); err != nil {
		t.Fatal(err)
	}
}

// jobSpec is what the test checks of a generated job.
type jobSpec struct{ Port, Path, Interval string }

// waitJob waits until the generated configuration has the job as wanted
// (nil: has no such job).
func waitJob(t *testing.T, ctx context.Context, name string, want *jobSpec) {
	t.Helper()
	what := "job " + name + " absent from the generated configuration"
	if want != nil {
		what = fmt.Sprintf("job %s with %+v in the generated configuration", name, *want)
	}
	eventually(t, 60*time.Second, what, func() error {
		cfg, err := loadConfig(ctx)
		if err != nil {
			return err
		}
		got, ok := cfg[name]
		switch {
		case want == nil && ok:
			return fmt.Errorf("job present: %+v", got)
		case want == nil:
			return nil
		case !ok:
			return fmt.Errorf("no job; jobs: %v", keys(cfg))
		case got != *want:
			return fmt.Errorf("job %+v", got)
		}
		return nil
	})
}

func generatedConfig(t *testing.T, ctx context.Context) map[string]jobSpec {
	t.Helper()
	cfg, err := loadConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// loadConfig reads the Prometheus configuration prometheus-operator wrote
// and returns its jobs: the port is the regex of the relabeling that keeps
// only the endpoints' port of that name.
func loadConfig(ctx context.Context) (map[string]jobSpec, error) {
	text, err := env.PrometheusConfig(ctx, promNamespace, promName)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName        string `json:"job_name"`
			MetricsPath    string `json:"metrics_path"`
			ScrapeInterval string `json:"scrape_interval"`
			RelabelConfigs []struct {
				SourceLabels []string `json:"source_labels"`
				Regex        string   `json:"regex"`
				Action       string   `json:"action"`
			} `json:"relabel_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		return nil, fmt.Errorf("generated configuration: %w", err)
	}
	jobs := map[string]jobSpec{}
	for _, sc := range cfg.ScrapeConfigs {
		j := jobSpec{Path: sc.MetricsPath, Interval: sc.ScrapeInterval}
		for _, rc := range sc.RelabelConfigs {
			if rc.Action == "keep" && len(rc.SourceLabels) == 1 && slices.Contains(
				[]string{"__meta_kubernetes_endpoint_port_name", "__meta_kubernetes_endpointslice_port_name"}, rc.SourceLabels[0]) {
				j.Port = rc.Regex
			}
		}
		jobs[sc.JobName] = j
	}
	return jobs, nil
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
