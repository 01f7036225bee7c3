package observability

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/monitoring"
)

// alertsTheWorkloadFires are the alerts whose full expression (threshold
// included) must hold after the workload, because it provokes exactly what
// they watch. The others (a sustained outage, staleness over 15 minutes, a
// backlog of 100) cannot happen in a test's minutes; their signal is
// checked instead.
var alertsTheWorkloadFires = []string{
	"VaultSyncAuthFailures", "VaultSyncPushSyncFailing", "VaultSyncPushWriteErrors",
	"VaultSyncPushSecretNotFound", "VaultSyncPushSecretKeyMissing", "VaultSyncPushInvalidAnnotation",
	"VaultSyncVaultAppSyncFailing", "VaultSyncCredentialsExpiringSoon", "VaultSyncLeaseRenewalsFailing",
	"VaultSyncCredentialReissueFailing",
}

// TestPrometheusScrapesOperator: a real Prometheus scrapes the operator
// binary's /metrics: the target is up, and the operator's, the
// controllers' and the process's metrics are there.
func TestPrometheusScrapesOperator(t *testing.T) {
	defer showLogs(t)
	ctx := context.Background()
	eventually(t, 30*time.Second, "the operator's target is up", func() error {
		_, err := prom.TargetsUp(ctx)
		return err
	})
	job := `job="` + scrapeJob + `"`
	for _, q := range []string{`up{` + job + `} == 1`, `process_resident_memory_bytes{` + job + `}`,
		`controller_runtime_reconcile_total{` + job + `,controller="vaultapp"}`,
		`go_goroutines{` + job + `}`} {
		waitSeries(t, ctx, q, 30*time.Second)
	}
}

// TestEveryDashboardQueryAndAlertHasSeries runs, after the workload, every
// query of every dashboard panel and every alert expression against the
// real Prometheus. A query that returns no series fails the test: a
// renamed metric or label breaks the build, not the dashboard. An alert
// whose threshold the workload cannot reach must still select series once
// its threshold is removed (promql-signal). Prometheus also evaluates the
// shipped rule file itself, without errors.
func TestEveryDashboardQueryAndAlertHasSeries(t *testing.T) {
	defer showLogs(t)
	ctx := context.Background()
	runWorkload(t, ctx)

	d, err := monitoring.LoadDashboard(env.Root)
	if err != nil {
		t.Fatal(err)
	}
	queries := d.Queries(scrapeJob, "1m")
	for _, q := range queries {
		if n := seriesCount(t, ctx, q.Expr); n == 0 {
			t.Errorf("dashboard panel %q query %s returns no series: %s", q.Panel, q.RefID, q.Expr)
		}
	}
	t.Logf("ran %d dashboard queries", len(queries))

	rules, err := monitoring.Alerts(env.Root)
	if err != nil {
		t.Fatal(err)
	}
	signals := signalsOf(t, rules)
	var fired []string
	for i, r := range rules {
		if seriesCount(t, ctx, r.Expr) > 0 {
			fired = append(fired, r.Alert)
			continue
		}
		if n := seriesCount(t, ctx, signals[i]); n == 0 {
			t.Errorf("alert %s: neither its expression nor its signal returns a series: %s", r.Alert, signals[i])
		}
	}
	t.Logf("alerts whose expression holds after the workload: %v", fired)
	for _, a := range alertsTheWorkloadFires {
		if !slices.Contains(fired, a) {
			t.Errorf("alert %s does not fire although the workload provoked it", a)
		}
	}
	checkRulesHealthy(t, ctx, len(rules))
	checkNoSecretInMetrics(t)
}

// checkNoSecretInMetrics: after the workload synced and issued secrets, no
// value of them is in the operator's metrics.
func checkNoSecretInMetrics(t *testing.T) {
	t.Helper()
	resp, err := http.Get("http://" + op.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, secret := range []string{"s3cr3t-value", "edited by hand", "BEGIN CERTIFICATE", "BEGIN RSA PRIVATE KEY", "BEGIN PRIVATE KEY"} {
		if bytes.Contains(body, []byte(secret)) {
			t.Errorf("the operator's metrics contain %q", secret)
		}
	}
}

func seriesCount(t *testing.T, ctx context.Context, expr string) int {
	t.Helper()
	s, err := prom.Query(ctx, expr)
	if err != nil {
		t.Fatalf("query %s: %v", expr, err)
	}
	return len(s)
}

// signalsOf returns each rule's expression without its thresholds.
func signalsOf(t *testing.T, rules []monitoring.Rule) []string {
	t.Helper()
	exprs := make([]string, len(rules))
	for i, r := range rules {
		exprs[i] = r.Expr
	}
	in, _ := json.Marshal(exprs)
	cmd := exec.Command(promop.PromQLSignal)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("promql-signal: %v", err)
	}
	var signals []string
	if err := json.Unmarshal(out, &signals); err != nil || len(signals) != len(rules) {
		t.Fatalf("promql-signal output %s: %v", out, err)
	}
	for i, s := range signals {
		if strings.TrimSpace(s) == strings.TrimSpace(rules[i].Expr) {
			t.Errorf("alert %s has no threshold to strip: %s", rules[i].Alert, s)
		}
	}
	return signals
}

// checkRulesHealthy: the Prometheus that loaded config/prometheus/alerts.yaml
// evaluates every one of its rules without error.
func checkRulesHealthy(t *testing.T, ctx context.Context, want int) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, prom.URL+"/api/v1/rules", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range body.Data.Groups {
		for _, r := range g.Rules {
			n++
			if r.Health != "ok" {
				t.Errorf("Prometheus evaluates rule %s with health %q: %s", r.Name, r.Health, r.LastError)
			}
		}
	}
	if n != want {
		t.Errorf("Prometheus loaded %d rules, alerts.yaml has %d", n, want)
	}
}
