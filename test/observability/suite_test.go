// Package observability tests the monitoring the operator promises, with
// the real programs that consume it: prometheus-operator (built from the
// module proxy) turning VaultApps' ServiceMonitors into Prometheus
// configuration, and a real Prometheus (Debian's package) scraping the
// operator's /metrics while a workload with failures runs, against which
// every dashboard query and alert expression is evaluated.
package observability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// scrapeJob is the job name Prometheus scrapes the operator under; the
// alerts select controller-runtime metrics by a job containing it.
const scrapeJob = "vault-sync-operator"

var (
	env    *e2e.Env
	op     *e2e.Process
	pg     *rig.Postgres
	promop rig.PromOperatorTools
	prom   *rig.Prometheus
)

func TestMain(m *testing.M) {
	root, err := rig.RepoRoot()
	if err == nil {
		promop, err = rig.FindPromOperatorTools()
	}
	if err == nil {
		_, _, err = rig.FindPrometheus()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "observability:", err)
		os.Exit(1)
	}
	os.Exit(e2e.Main(m, rig.Options{WithCluster: true,
		CRDDirectoryPaths: []string{filepath.Join(root, "config/crd/bases"), promop.CRDDir}}, setup))
}

// setup starts prometheus-operator, the Vault engines and roles of the
// workload, the operator binary and a Prometheus scraping it (with the
// shipped alert rules loaded).
func setup(e *e2e.Env) (err error) {
	env = e
	ctx := context.Background()
	if err := e.StartPrometheusOperator(ctx, promop); err != nil {
		return err
	}
	if pg, err = e.StartPostgres(); err != nil {
		return err
	}
	if err := prepareVault(ctx, e); err != nil {
		return err
	}
	if err := e.GrantEverything(ctx); err != nil {
		return err
	}
	// Short lease and refresh timings so renewals, failures and their
	// metrics happen within the test.
	op, err = e.StartProcess(e2e.Launch{Args: []string{"--vaultapp-refresh-interval=10s", "--lease-renew-fraction=0.5",
		"--lease-revoke-grace=3s", "--vault-token-check-interval=2s", "--vault-timeout=2s"}})
	if err != nil {
		return err
	}
	prom, err = e.StartPrometheus(ctx, rig.PrometheusOptions{
		Targets:   map[string]string{scrapeJob: op.MetricsAddr},
		RuleFiles: []string{filepath.Join(e.Root, "config/prometheus/alerts.yaml")},
	})
	return err
}

// showLogs prints the tails of the operator's, prometheus-operator's and
// Prometheus's logs when t failed.
func showLogs(t *testing.T) {
	if !t.Failed() {
		return
	}
	for _, f := range []string{env.OperatorLogPath(), filepath.Join(env.Dir, "prometheus-operator.log"), filepath.Join(env.Dir, "prometheus.log")} {
		b, _ := os.ReadFile(f)
		if len(b) > 20000 {
			b = b[len(b)-20000:]
		}
		t.Logf("%s (tail):\n%s", filepath.Base(f), b)
	}
}

// eventually polls ok every 250ms until it returns nil or timeout passes,
// then fails t with the last error.
func eventually(t *testing.T, timeout time.Duration, what string, ok func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := ok()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
