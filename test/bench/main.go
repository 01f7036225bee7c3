// Command bench (`make bench`) measures the operator on the real rig:
// apiserver+etcd and a dev Vault on loopback, the operator binary as a
// subprocess. Each run starts a fresh rig and goes through the phases in
// order: the machine's ceiling, push cold start, Secret propagation,
// unrelated Secrets, pull cold starts (plain, one template each,
// monitoring on, many apps on one path), the idle window, a restart at
// scale and a leader failover. It prints one table (min / median / max over
// the runs) and one JSON line.
//
//	go run ./test/bench                                # the defaults, 3 runs
//	go run ./test/bench -runs 1 -n 200 -apps 100       # a quick run
//	go run ./test/bench -runs 1 -n 10000 -apps 1000 -template-apps 0 -monitoring-apps 0
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/operator"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// maxMonitoringApps is the default ceiling of -monitoring-apps: each app's
// metrics Service takes a ClusterIP, and envtest's apiserver allocates them
// from 10.0.0.0/24.
const maxMonitoringApps = 200

type config struct {
	runs                                           int
	n, m, unrelated                                int
	apps, templateApps, monitoringApps, sharedApps int
	idle, refresh, ceilingFor                      time.Duration
	restart, failover, cluster                     bool
	profiles, memLimit                             string
	operatorArgs                                   []string
	operator                                       operator.Options // operatorArgs parsed: its concurrency and QPS
}

func main() {
	var cfg config
	flag.IntVar(&cfg.runs, "runs", 3, "runs, each on a fresh rig; the table shows min / median / max")
	flag.IntVar(&cfg.n, "n", 1000, "annotated Deployments (each with its own Secret; every fifth in explicit mode)")
	flag.IntVar(&cfg.apps, "apps", 1000, "plain VaultApps (one KV value each, Secret + Deployment, monitoring off)")
	flag.IntVar(&cfg.templateApps, "template-apps", -1, "VaultApps with one template each (-1: as many as -apps; 0 skips)")
	flag.IntVar(&cfg.monitoringApps, "monitoring-apps", -1, fmt.Sprintf("VaultApps with monitoring on: Service + ServiceMonitor (-1: as many as -apps, at most %d: the rig's Service CIDR holds about 250 ClusterIPs; 0 skips)", maxMonitoringApps))
	flag.IntVar(&cfg.sharedApps, "shared-apps", 100, "VaultApps reading the same path with the same identity (0 skips)")
	flag.IntVar(&cfg.m, "m", 100, "changes measured for push propagation and pull rotation (0 skips both)")
	flag.IntVar(&cfg.unrelated, "unrelated", 10000, "unrelated 4 KiB Secrets added for the memory check (0 skips)")
	flag.DurationVar(&cfg.idle, "idle", 30*time.Second, "idle window (0 skips)")
	flag.DurationVar(&cfg.refresh, "refresh", 10*time.Second, "VaultApp refresh interval during the run")
	flag.DurationVar(&cfg.ceilingFor, "ceiling-duration", 3*time.Second, "how long each kind of request is measured for the machine's ceiling")
	flag.BoolVar(&cfg.restart, "restart", true, "measure a restart of the operator at scale")
	flag.BoolVar(&cfg.failover, "failover", true, "measure a leader failover of two replicas")
	flag.StringVar(&cfg.memLimit, "operator-gomemlimit", "", "GOMEMLIMIT of the operator process (as a container memory limit would set it through automemlimit), e.g. 90MiB")
	flag.BoolVar(&cfg.cluster, "cluster", false, "run on the whole-cluster rig (controller-manager, scheduler, kwok): VaultApp rotations then measure real rollouts")
	flag.StringVar(&cfg.profiles, "profiles", "", "directory to save the operator's CPU profile of the push cold start and heap profiles (go tool pprof), per run")
	flag.Parse()
	cfg.operatorArgs = flag.Args()
	if err := cfg.complete(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// complete fills the defaults that depend on other flags and reads the
// operator's own flags (its concurrency and client limits shape the
// ceiling measurement).
func (cfg *config) complete() error {
	if cfg.runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	if cfg.templateApps < 0 {
		cfg.templateApps = cfg.apps
	}
	if cfg.monitoringApps < 0 {
		cfg.monitoringApps = min(cfg.apps, maxMonitoringApps)
	}
	o, err := e2e.ParseOperatorFlags(cfg.operatorArgs)
	if err != nil {
		return fmt.Errorf("operator flags after --: %w", err)
	}
	cfg.operator = o
	return nil
}

func step(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := rig.RepoRoot()
	if err != nil {
		return err
	}
	var runs []*sample
	for i := 0; i < cfg.runs; i++ {
		step("run %d of %d", i+1, cfg.runs)
		s, err := runOnce(ctx, cfg, i)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		runs = append(runs, s)
	}
	h, sum := newHeader(cfg, root), summarize(runs)
	printTable(os.Stdout, h, sum)
	line, err := jsonLine(h, sum)
	if err != nil {
		return err
	}
	fmt.Println(line)
	return nil
}
