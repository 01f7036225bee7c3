package monitoring

// These tests need no cluster: promtool's checks and unit tests of every
// alert, the dashboard's structure, and the chart's copies. The queries
// themselves run against a real Prometheus in test/observability.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := rig.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestAlertRulesPassPromtool: `promtool check rules` accepts alerts.yaml and
// `promtool test rules` runs alerts_test.yaml, where every alert has a case
// in which it fires (with its exact labels and rendered annotations) and
// one in which it stays silent.
func TestAlertRulesPassPromtool(t *testing.T) {
	_, promtool, err := rig.FindPrometheus()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repoRoot(t), "config", "prometheus")
	for _, args := range [][]string{{"check", "rules", "alerts.yaml"}, {"test", "rules", "alerts_test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %v: %v\n%s", args, err, out)
		}
		t.Logf("promtool %v:\n%s", args, out)
	}
}

// TestEveryAlertHasUnitTests: each alert of alerts.yaml appears in
// alerts_test.yaml both firing (with exp_alerts) and silent.
func TestEveryAlertHasUnitTests(t *testing.T) {
	rules, err := Alerts(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := RuleTests(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if c := cases[r.Alert]; c.Fires == 0 || c.Silent == 0 {
			t.Errorf("alert %s: %d firing and %d silent cases in alerts_test.yaml, want at least one of each", r.Alert, c.Fires, c.Silent)
		}
	}
}

// TestChartCopiesAreInSync: the chart embeds copies of the rule file and
// the dashboard (Helm reads only files inside the chart); `make chart`
// refreshes them.
func TestChartCopiesAreInSync(t *testing.T) {
	root := repoRoot(t)
	for _, f := range []string{"alerts.yaml", "dashboard.json"} {
		src, err := os.ReadFile(filepath.Join(root, "config", "prometheus", f))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := os.ReadFile(filepath.Join(root, "charts", "vault-sync-operator", "files", "prometheus", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(src, cp) {
			t.Errorf("charts/vault-sync-operator/files/prometheus/%s differs from config/prometheus/%s: run make chart", f, f)
		}
	}
}
