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

	"github.com/vault-sync-io/vault-sync-operator/test/opproc"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// scrapeJob is the job name Prometheus scrapes the operator under; the
// alerts select controller-runtime metrics by a job containing it.
const scrapeJob = "vault-sync-operator"

var (
	testRig *rig.Rig
	root    string
	promop  rig.PromOperatorTools
	prom    *rig.Prometheus
	op      *opproc.Proc
	pg      *rig.Postgres
)

func TestMain(m *testing.M) {
	root, _ = rig.RepoRoot()
	var err error
	if promop, err = rig.FindPromOperatorTools(); err != nil {
		fmt.Fprintln(os.Stderr, "observability:", err)
		os.Exit(1)
	}
	if _, _, err := rig.FindPrometheus(); err != nil {
		fmt.Fprintln(os.Stderr, "observability:", err)
		os.Exit(1)
	}
	os.Exit(rig.Main(m, rig.Options{WithCluster: true,
		CRDDirectoryPaths: []string{filepath.Join(root, "config/crd/bases"), promop.CRDDir}},
		func(r *rig.Rig) func() {
			testRig = r
			stop, err := setup(context.Background(), r)
			if err != nil {
				panic(err)
			}
			return stop
		}))
}

// setup starts prometheus-operator, the Vault engines and roles of the
// workload, the operator binary and a Prometheus scraping it (with the
// shipped alert rules loaded).
func setup(ctx context.Context, r *rig.Rig) (stop func(), err error) {
	if err := r.StartPrometheusOperator(ctx, promop); err != nil {
		return nil, err
	}
	if pg, err = rig.StartPostgres(ctx); err != nil {
		return nil, err
	}
	if err := prepareVault(ctx, r); err != nil {
		pg.Stop()
		return nil, err
	}
	bin, err := opproc.Build(r, root)
	if err != nil {
		pg.Stop()
		return nil, err
	}
	// Short lease and refresh timings so renewals, failures and their
	// metrics happen within the test.
	op, err = opproc.Start(ctx, r, bin, nil, "--vaultapp-refresh-interval=10s", "--lease-renew-fraction=0.5",
		"--lease-revoke-grace=3s", "--vault-token-check-interval=2s", "--vault-timeout=2s")
	if err != nil {
		pg.Stop()
		return nil, err
	}
	prom, err = r.StartPrometheus(ctx, rig.PrometheusOptions{
		Targets:   map[string]string{scrapeJob: op.MetricsAddr},
		RuleFiles: []string{filepath.Join(root, "config/prometheus/alerts.yaml")},
	})
	if err != nil {
		op.Stop()
		pg.Stop()
		return nil, err
	}
	return func() { op.Stop(); pg.Stop() }, nil
}

// showLogs prints the operator's and prometheus-operator's logs when t failed.
func showLogs(t *testing.T) {
	if !t.Failed() {
		return
	}
	for _, f := range []string{"operator.log", "prometheus-operator.log", "prometheus.log"} {
		b, _ := os.ReadFile(filepath.Join(testRig.Dir, f))
		if len(b) > 20000 {
			b = b[len(b)-20000:]
		}
		t.Logf("%s (tail):\n%s", f, b)
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
