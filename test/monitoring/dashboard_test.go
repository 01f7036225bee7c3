package monitoring

import (
	"strings"
	"testing"
)

// TestDashboardIsWellFormed: the dashboard has a stable uid, the datasource
// and job variables kube-prometheus-stack's Grafana needs to show it on any
// Prometheus, unique panel ids, and every graph queries ${datasource} and
// filters on $job.
func TestDashboardIsWellFormed(t *testing.T) {
	d, err := LoadDashboard(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.UID != "vault-sync-operator" {
		t.Errorf("uid %q: keep it stable, links and provisioning use it", d.UID)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" || vars["job"] != "query" {
		t.Errorf("variables %v, want datasource (type datasource) and job (type query)", vars)
	}
	ids := map[int]bool{}
	graphs := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		graphs++
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the ${datasource} variable", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			if !strings.Contains(q.Expr, `job=~"$job"`) {
				t.Errorf("panel %q query %s does not filter on the job variable: %s", p.Title, q.RefID, q.Expr)
			}
		}
	}
	if graphs < 15 {
		t.Errorf("%d graphs, want the sections of docs/observability.md", graphs)
	}
}

// TestDashboardCoversTheIssue: sync rate and errors, latency, Vault
// requests, logins, lease expiry, rollouts, workqueue and memory each have a
// panel querying the metric that shows them.
func TestDashboardCoversTheIssue(t *testing.T) {
	d, err := LoadDashboard(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, q := range d.Queries("vault-sync-operator", "1m") {
		all.WriteString(q.Expr + "\n")
	}
	for what, metric := range map[string]string{
		"push sync rate":    "vault_sync_operator_sync_attempts_total",
		"push errors":       "vault_sync_operator_vault_write_errors_total",
		"VaultApp syncs":    "vault_sync_operator_vaultapp_syncs_total",
		"latency":           "vault_sync_operator_sync_duration_seconds_bucket",
		"Vault requests":    "vault_sync_operator_vault_requests_total",
		"logins":            "vault_sync_operator_auth_attempts_total",
		"lease expiry":      "vault_sync_operator_vaultapp_lease_expiry_seconds",
		"rollouts":          "vault_sync_operator_vaultapp_rollouts_total",
		"drift repairs":     "vault_sync_operator_vaultapp_drift_repairs_total",
		"workqueue":         "workqueue_depth",
		"memory":            "process_resident_memory_bytes",
		"reconcile errors":  "controller_runtime_reconcile_total",
		"lease renewals":    "vault_sync_operator_lease_renewals_total",
		"stale VaultApps":   "vault_sync_operator_vaultapp_last_success_timestamp_seconds",
		"workqueue latency": "workqueue_queue_duration_seconds_bucket",
	} {
		if !strings.Contains(all.String(), metric) {
			t.Errorf("no panel shows %s (%s)", what, metric)
		}
	}
}
