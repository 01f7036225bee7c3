package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"
)

// header says what was run, where, on which code: the line above the table
// and the config keys of the JSON line.
type header struct {
	Commit       string  `json:"commit"`
	Date         string  `json:"date"`
	Runs         int     `json:"runs"`
	Deployments  int     `json:"deployments"`
	VaultApps    int     `json:"vaultapps"`
	TemplateApps int     `json:"template_vaultapps"`
	MonitorApps  int     `json:"monitoring_vaultapps"`
	SharedApps   int     `json:"shared_path_vaultapps"`
	Unrelated    int     `json:"unrelated_secrets"`
	Refresh      float64 `json:"vaultapp_refresh_s"`
	Idle         float64 `json:"idle_window_s"`
	WholeCluster bool    `json:"whole_cluster"`
	OperatorArgs string  `json:"operator_args,omitempty"`
}

func newHeader(cfg config, root string) header {
	return header{
		Commit: commitOf(root), Date: time.Now().UTC().Format("2006-01-02"), Runs: cfg.runs,
		Deployments: cfg.n, VaultApps: cfg.apps, TemplateApps: cfg.templateApps, MonitorApps: cfg.monitoringApps,
		SharedApps: cfg.sharedApps, Unrelated: cfg.unrelated, Refresh: cfg.refresh.Seconds(), Idle: cfg.idle.Seconds(),
		WholeCluster: cfg.cluster, OperatorArgs: strings.Join(cfg.operatorArgs, " "),
	}
}

// commitOf is the short commit of the checkout, "+dirty" when it has
// uncommitted changes: figures are only comparable on known code.
func commitOf(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		commit += "+dirty"
	}
	return commit
}

// printTable writes the summary as a table: one column per run statistic
// (just the value for a single run).
func printTable(w io.Writer, h header, sum summary) {
	fmt.Fprintf(w, "commit %s, %s; %d Deployments, %d+%d+%d+%d VaultApps (plain+template+monitoring+shared path), refresh %.0fs, idle %.0fs",
		h.Commit, h.Date, h.Deployments, h.VaultApps, h.TemplateApps, h.MonitorApps, h.SharedApps, h.Refresh, h.Idle)
	if h.OperatorArgs != "" {
		fmt.Fprintf(w, ", operator %s", h.OperatorArgs)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if sum.runs == 1 {
		fmt.Fprintln(tw, "\tvalue")
		for _, r := range sum.rows {
			fmt.Fprintf(tw, "%s\t%s\n", r.label, sum.cell(r, func(s spread) float64 { return s.Median }))
		}
	} else {
		fmt.Fprintf(tw, "%d runs\tmin\tmedian\tmax\n", sum.runs)
		for _, r := range sum.rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.label,
				sum.cell(r, func(s spread) float64 { return s.Min }),
				sum.cell(r, func(s spread) float64 { return s.Median }),
				sum.cell(r, func(s spread) float64 { return s.Max }))
		}
	}
	tw.Flush()
}

// jsonLine is the header's keys, every figure's median under its key, and
// the minima and maxima under "min" and "max".
func jsonLine(h header, sum summary) (string, error) {
	out := map[string]any{}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(hb, &out); err != nil {
		return "", err
	}
	for k, v := range sum.medians() {
		out[k] = round(v)
	}
	if sum.runs > 1 {
		out["min"] = roundAll(sum.pick(func(s spread) float64 { return s.Min }))
		out["max"] = roundAll(sum.pick(func(s spread) float64 { return s.Max }))
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// round keeps 4 decimals: more is noise, and the line stays readable.
func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func roundAll(m map[string]float64) map[string]float64 {
	for k, v := range m {
		m[k] = round(v)
	}
	return m
}
