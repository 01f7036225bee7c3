// Package monitoring reads the monitoring files the operator ships
// (config/prometheus: alert rules, their promtool tests, the Grafana
// dashboard) for the tests that check them: its own tests (promtool, the
// dashboard's structure, the chart's copies) and test/observability, which
// runs every query against a real Prometheus.
package monitoring

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Rule is one alert of config/prometheus/alerts.yaml.
type Rule struct {
	Alert string `json:"alert"`
	Expr  string `json:"expr"`
}

// Alerts returns the alert rules of config/prometheus/alerts.yaml.
func Alerts(root string) ([]Rule, error) {
	var f struct {
		Groups []struct {
			Rules []Rule `json:"rules"`
		} `json:"groups"`
	}
	if err := readYAML(root, "alerts.yaml", &f); err != nil {
		return nil, err
	}
	var rules []Rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("no rules in config/prometheus/alerts.yaml")
	}
	return rules, nil
}

// CaseCount counts the evaluations of alerts_test.yaml that expect an alert
// to fire and those that expect it silent.
type CaseCount struct{ Fires, Silent int }

// RuleTests returns the CaseCount of every alert named in alerts_test.yaml.
func RuleTests(root string) (map[string]CaseCount, error) {
	var f struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := readYAML(root, "alerts_test.yaml", &f); err != nil {
		return nil, err
	}
	out := map[string]CaseCount{}
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			c := out[a.Alertname]
			if len(a.ExpAlerts) > 0 {
				c.Fires++
			} else {
				c.Silent++
			}
			out[a.Alertname] = c
		}
	}
	return out, nil
}

func readYAML(root, name string, into any) error {
	b, err := os.ReadFile(filepath.Join(root, "config", "prometheus", name))
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		return fmt.Errorf("config/prometheus/%s: %w", name, err)
	}
	return nil
}

// Dashboard is the part of config/prometheus/dashboard.json the tests read.
type Dashboard struct {
	UID        string  `json:"uid"`
	Panels     []Panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"list"`
	} `json:"templating"`
}

// Panel is a dashboard panel (rows are panels of type "row").
type Panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// LoadDashboard parses config/prometheus/dashboard.json.
func LoadDashboard(root string) (*Dashboard, error) {
	b, err := os.ReadFile(filepath.Join(root, "config", "prometheus", "dashboard.json"))
	if err != nil {
		return nil, err
	}
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("config/prometheus/dashboard.json: %w", err)
	}
	return &d, nil
}

// Query is one panel query of the dashboard.
type Query struct {
	Panel, RefID, Expr string
}

// Queries returns every target of every panel, with Grafana's variables
// replaced as Grafana would for the given job: $job by the job's name and
// $__rate_interval by rateInterval (e.g. "1m").
func (d *Dashboard) Queries(job, rateInterval string) []Query {
	r := strings.NewReplacer("$__rate_interval", rateInterval, "$job", job)
	var out []Query
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			out = append(out, Query{Panel: p.Title, RefID: t.RefID, Expr: r.Replace(t.Expr)})
		}
	}
	return out
}
