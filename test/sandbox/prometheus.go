package main

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// sandboxPromAddr is where the sandbox's Prometheus listens when the port
// is free (a second sandbox takes another).
const sandboxPromAddr = "127.0.0.1:9090"

// tryQuery is the query the sandbox suggests: Vault traffic by kind and
// status code, the first thing to look at when something is slow or failing.
const tryQuery = `sum by (kind, code) (rate(vault_sync_operator_vault_requests_total[1m]))`

// startPrometheus runs a real Prometheus (Debian's package) scraping the
// operator's metrics every 5s with the shipped alert rules loaded, and
// prints its URL and a query to try. Without the package it says how to
// install it and the sandbox goes on without Prometheus.
func startPrometheus(ctx context.Context, r *rig.Rig, root, metricsAddr string) {
	if _, _, err := rig.FindPrometheus(); err != nil {
		say("no Prometheus: %v", err)
		return
	}
	addr := sandboxPromAddr
	if l, err := net.Listen("tcp", addr); err != nil {
		addr = rig.FreeAddr()
	} else {
		l.Close()
	}
	p, err := r.StartPrometheus(ctx, rig.PrometheusOptions{
		Addr: addr, Targets: map[string]string{"vault-sync-operator": metricsAddr}, ScrapeInterval: 5 * time.Second,
		RuleFiles: []string{filepath.Join(root, "config/prometheus/alerts.yaml")},
	})
	if err != nil {
		say("Prometheus did not start: %v", err)
		return
	}
	say("prometheus: %s scrapes the operator every 5s, with the alerts of config/prometheus/alerts.yaml (%s/alerts)", p.URL, p.URL)
	say("prometheus: try %s/graph?g0.expr=%s or", p.URL, url.QueryEscape(tryQuery))
	say("prometheus:   curl -s %s/api/v1/query --data-urlencode 'query=%s'", p.URL, tryQuery)
}
