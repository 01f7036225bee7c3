package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

func TestSummaryTakesMinMedianMaxOfEachKeyOverTheRuns(t *testing.T) {
	var runs []*sample
	for _, v := range []float64{3, 1, 2} {
		s := newSample()
		s.add("cold start (s)", "%.1f", val("cold_s", v))
		s.add("reads / writes", "%.0f / %.0f", val("reads", 10*v), val("writes", 0))
		runs = append(runs, s)
	}
	skipped := newSample() // a run that skipped the phase counts for nothing
	skipped.add("other", "%.0f", val("other", 7))
	runs = append(runs, skipped)

	sum := summarize(runs)
	if got := sum.spread["cold_s"]; got != (spread{Min: 1, Median: 2, Max: 3}) {
		t.Fatalf("cold_s spread %+v, want 1 / 2 / 3 (the skipping run left out)", got)
	}
	if got := sum.cell(sum.rows[1], func(s spread) float64 { return s.Max }); got != "30 / 0" {
		t.Fatalf("row of two values: %q", got)
	}
	if len(sum.rows) != 3 || sum.rows[2].label != "other" {
		t.Fatalf("rows in order of first appearance: %+v", sum.rows)
	}
}

func TestMedianOfAnEvenNumberOfRunsIsTheMeanOfTheMiddleTwo(t *testing.T) {
	if got := spreadOf([]float64{4, 1, 2, 3}); got.Median != 2.5 {
		t.Fatalf("median %v, want 2.5", got.Median)
	}
}

func TestTableAndJSONLineShowTheSpreadOnlyForSeveralRuns(t *testing.T) {
	one := newSample()
	one.add("push: cold start (s)", "%.2f", val("push_cold_start_s", 1.23456789))
	two := newSample()
	two.add("push: cold start (s)", "%.2f", val("push_cold_start_s", 2))

	var out bytes.Buffer
	printTable(&out, header{Runs: 1}, summarize([]*sample{one}))
	if !strings.Contains(out.String(), "value") || strings.Contains(out.String(), "median") {
		t.Fatalf("one run prints one value column:\n%s", out.String())
	}
	line, err := jsonLine(header{Runs: 1}, summarize([]*sample{one}))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatal(err)
	}
	if got["push_cold_start_s"] != 1.2346 || got["min"] != nil {
		t.Fatalf("one run: the figure rounded, no min/max: %s", line)
	}

	out.Reset()
	printTable(&out, header{Runs: 2}, summarize([]*sample{one, two}))
	if !strings.Contains(out.String(), "min") || !strings.Contains(out.String(), "1.23  1.62    2.00") {
		t.Fatalf("two runs print min / median / max:\n%s", out.String())
	}
	line, err = jsonLine(header{Runs: 2}, summarize([]*sample{one, two}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, `"max":{"push_cold_start_s":2}`) || !strings.Contains(line, `"push_cold_start_s":1.6173`) {
		t.Fatalf("two runs: median at the top, spread in min/max: %s", line)
	}
}

func TestAuditCountsReadRequestsByPathPrefix(t *testing.T) {
	log := strings.Join([]string{
		`{"type":"request","request":{"operation":"read","path":"kv/data/bench/plain/app-1"}}`,
		`{"type":"response","request":{"operation":"read","path":"kv/data/bench/plain/app-1"}}`,
		`{"type":"request","request":{"operation":"read","path":"kv/data/bench/shared/all"}}`,
		`{"type":"request","request":{"operation":"read","path":"kv/data/bench/shared/all"}}`,
		`{"type":"request","request":{"operation":"update","path":"kv/data/bench/plain/app-2"}}`,
		`{"type":"request","request":{"operation":"read","path":"sys/internal/ui/mounts/kv"}}`,
	}, "\n")
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := countReads(path, []string{"kv/data/bench/plain/", "kv/data/bench/shared/", "kv/data/bench/template/"})
	if err != nil {
		t.Fatal(err)
	}
	if got["kv/data/bench/plain/"] != 1 || got["kv/data/bench/shared/"] != 2 || got["kv/data/bench/template/"] != 0 {
		t.Fatalf("reads by prefix: %v (responses, writes and other paths are not reads of a group)", got)
	}
}

func TestKubeStateCountsWritesCreationsDeletionsAndRollouts(t *testing.T) {
	dep := func(name string) objectID {
		return objectID{"DeploymentList", client.ObjectKey{Namespace: "ns", Name: name}}
	}
	before := kubeState{
		versions:    map[objectID]string{dep("same"): "1", dep("written"): "2", dep("gone"): "3"},
		generations: map[client.ObjectKey]int64{dep("same").key: 1, dep("written").key: 4},
	}
	after := kubeState{
		versions:    map[objectID]string{dep("same"): "1", dep("written"): "9", dep("new"): "10"},
		generations: map[client.ObjectKey]int64{dep("same").key: 1, dep("written").key: 6, dep("new").key: 1},
	}
	changed, rollouts := before.changesTo(after)
	if changed != 3 || rollouts != 2 {
		t.Fatalf("changed %d (want written + new + gone = 3), rollouts %d (want 2 generations)", changed, rollouts)
	}
	if changed, rollouts := before.changesTo(before); changed != 0 || rollouts != 0 {
		t.Fatalf("no change: %d, %d", changed, rollouts)
	}
}

func TestConvergedNeedsEveryObjectReconciledWithQueuesDrained(t *testing.T) {
	metrics := func(text string) e2e.Metrics {
		parser := expfmt.NewTextParser(model.UTF8Validation)
		m, err := parser.TextToMetricFamilies(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	const done = `
# TYPE controller_runtime_reconcile_total counter
# TYPE workqueue_depth gauge
# TYPE controller_runtime_active_workers gauge
# TYPE vault_sync_operator_vaultapp_refresh_interval_seconds gauge
controller_runtime_reconcile_total{controller="push-sync",result="success"} 3
controller_runtime_reconcile_total{controller="vaultapp",result="success"} 1
controller_runtime_reconcile_total{controller="vaultapp",result="requeue_after"} 1
workqueue_depth{controller="push-sync",name="push-sync",priority=""} 0
workqueue_depth{controller="vaultapp",name="vaultapp",priority=""} 0
controller_runtime_active_workers{controller="push-sync"} 0
controller_runtime_active_workers{controller="vaultapp"} 0
vault_sync_operator_vaultapp_refresh_interval_seconds{namespace="a",vaultapp="x"} 10
vault_sync_operator_vaultapp_refresh_interval_seconds{namespace="a",vaultapp="y"} 10
`
	if !converged(metrics(done), 3, 2) {
		t.Fatal("3 push reconciles, 2 apps with their series and idle queues: converged")
	}
	for name, text := range map[string]string{
		"a push reconcile missing": strings.Replace(done, `result="success"} 3`, `result="success"} 2`, 1),
		"an item queued":           strings.Replace(done, `name="vaultapp",priority=""} 0`, `name="vaultapp",priority=""} 1`, 1),
		"a worker busy":            strings.Replace(done, `active_workers{controller="push-sync"} 0`, `active_workers{controller="push-sync"} 1`, 1),
		"an app never reconciled":  strings.Replace(done, `vault_sync_operator_vaultapp_refresh_interval_seconds{namespace="a",vaultapp="y"} 10`, "", 1),
	} {
		if converged(metrics(text), 3, 2) {
			t.Errorf("%s: not converged", name)
		}
	}
}

func TestAGroupOwnsOnlyItsOwnNamespaces(t *testing.T) {
	g := appGroup{name: "plain"}
	for ns, want := range map[string]bool{"plain-0": true, "plain-9": true, "plain-": false, "plainx-1": false, "template-1": false, "plain-1a": false} {
		if got := g.owns(client.ObjectKey{Namespace: ns, Name: "app-1"}); got != want {
			t.Errorf("owns(%s) = %v, want %v", ns, got, want)
		}
	}
	if k := g.key(13); !g.owns(k) || k.Name != "app-13" {
		t.Errorf("its own key %v", k)
	}
}

func TestAGroupCountsTheSuccessfulSyncsOfItsOwnAppsOnly(t *testing.T) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	m, err := parser.TextToMetricFamilies(strings.NewReader(`# TYPE vault_sync_operator_vaultapp_syncs_total counter
vault_sync_operator_vaultapp_syncs_total{namespace="plain-0",vaultapp="app-0",result="success"} 3
vault_sync_operator_vaultapp_syncs_total{namespace="plain-9",vaultapp="app-9",result="success"} 2
vault_sync_operator_vaultapp_syncs_total{namespace="plain-9",vaultapp="app-9",result="error"} 5
vault_sync_operator_vaultapp_syncs_total{namespace="template-0",vaultapp="app-0",result="success"} 7
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := (appGroup{name: "plain"}).syncs(m); got != 5 {
		t.Fatalf("plain syncs %v, want 5 (errors and other groups left out)", got)
	}
}
