// Command bench (`make bench`) measures the operator on the real rig:
// apiserver+etcd and a dev Vault on loopback, the operator binary as a
// subprocess. It prints a table and one JSON line.
//
//	go run ./test/bench -n 1000 -apps 500 -m 100 -idle 60s -unrelated 50000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

type config struct {
	n, apps, m, unrelated int
	idle, refresh         time.Duration
	profiles              string
	cluster               bool
	memLimit              string
	operatorArgs          []string
}

// result is the JSON line; the table shows the same fields.
type result struct {
	Deployments          int                `json:"deployments"`
	PushColdSeconds      float64            `json:"push_cold_start_s"`
	PushSyncsPerSecond   float64            `json:"push_syncs_per_s"`
	PushPropagationP50   float64            `json:"push_propagation_p50_s"`
	PushPropagationP99   float64            `json:"push_propagation_p99_s"`
	ColdVaultWritesPer   float64            `json:"cold_vault_writes_per_deployment"`
	ColdVaultReadsPer    float64            `json:"cold_vault_reads_per_deployment"`
	ColdMountLookups     float64            `json:"cold_vault_mount_lookups"`
	ColdVaultLogins      float64            `json:"cold_vault_logins"`
	ColdKubeGetsPer      float64            `json:"cold_kube_gets_per_deployment"`
	ColdKubeWritesPer    float64            `json:"cold_kube_writes_per_deployment"`
	ColdKubeEventsPer    float64            `json:"cold_kube_events_per_deployment"`
	RSSAfterPushMiB      float64            `json:"rss_after_push_mib"`
	HeapAfterPushMiB     float64            `json:"heap_after_push_mib"`
	UnrelatedSecrets     int                `json:"unrelated_secrets"`
	RSSWithUnrelatedMiB  float64            `json:"rss_with_unrelated_mib"`
	HeapWithUnrelatedMiB float64            `json:"heap_with_unrelated_mib"`
	VaultApps            int                `json:"vaultapps"`
	PullColdSeconds      float64            `json:"pull_cold_start_s"`
	PullRotationP50      float64            `json:"pull_rotation_p50_s"`
	PullRotationP99      float64            `json:"pull_rotation_p99_s"`
	RefreshSeconds       float64            `json:"vaultapp_refresh_s"`
	IdleSeconds          float64            `json:"idle_window_s"`
	IdleVaultWrites      float64            `json:"idle_vault_writes"`
	IdleVaultLogins      float64            `json:"idle_vault_logins"`
	IdleVaultReads       float64            `json:"idle_vault_reads"`
	IdleKubeWrites       float64            `json:"idle_kube_writes"`
	PeakRSSMiB           float64            `json:"peak_rss_mib"`
	WholeCluster         bool               `json:"whole_cluster"`
	ClusterStartSeconds  float64            `json:"cluster_processes_start_s,omitempty"`
	ClusterRSSMiB        map[string]float64 `json:"cluster_processes_rss_mib,omitempty"`
}

func main() {
	var cfg config
	flag.IntVar(&cfg.n, "n", 1000, "annotated Deployments (each with its own Secret; every fifth in explicit mode)")
	flag.IntVar(&cfg.apps, "apps", 500, "VaultApps")
	flag.IntVar(&cfg.m, "m", 100, "changes measured for propagation and rotation")
	flag.IntVar(&cfg.unrelated, "unrelated", 50000, "unrelated 4 KiB Secrets added for the memory check (0 skips)")
	flag.DurationVar(&cfg.idle, "idle", 60*time.Second, "idle window")
	flag.DurationVar(&cfg.refresh, "refresh", 10*time.Second, "VaultApp refresh interval during the run")
	flag.StringVar(&cfg.memLimit, "operator-gomemlimit", "", "GOMEMLIMIT of the operator process (as a container memory limit would set it through automemlimit), e.g. 90MiB")
	flag.BoolVar(&cfg.cluster, "cluster", false, "run on the whole-cluster rig (controller-manager, scheduler, kwok): VaultApp rotations then measure real rollouts")
	flag.StringVar(&cfg.profiles, "profiles", "", "directory to save the operator's CPU profile of the push cold start and heap profiles (go tool pprof)")
	flag.Parse()
	cfg.operatorArgs = flag.Args()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func step(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := rig.Start(ctx, rig.Options{CRDDirectoryPaths: e2e.CRDPaths(), Logf: step, WithCluster: cfg.cluster})
	if err != nil {
		return err
	}
	defer r.Stop()
	env := e2e.NewEnv(r)
	defer env.Close()
	if err := env.GrantEverything(ctx); err != nil {
		return err
	}
	rc := *r.RestConfig
	rc.QPS, rc.Burst = 2000, 4000
	c, err := client.New(&rc, client.Options{Scheme: rig.Scheme()})
	if err != nil {
		return err
	}
	res := result{WholeCluster: cfg.cluster, ClusterStartSeconds: r.ClusterStartup.Seconds(), Deployments: cfg.n, VaultApps: cfg.apps, UnrelatedSecrets: cfg.unrelated, RefreshSeconds: cfg.refresh.Seconds(), IdleSeconds: cfg.idle.Seconds()}

	step("creating %d Secrets and annotated Deployments", cfg.n)
	if err := createPushObjects(ctx, c, env, cfg.n); err != nil {
		return err
	}
	if _, err := env.OperatorBinary(); err != nil { // built before the clock starts
		return err
	}
	step("starting the operator")
	start := time.Now()
	launch := e2e.Launch{Args: cfg.operatorArgs}
	if cfg.memLimit != "" {
		launch.Environ = append(launch.Environ, "GOMEMLIMIT="+cfg.memLimit)
	}
	op, err := env.StartProcess(launch)
	if err != nil {
		return err
	}
	cpuDone := make(chan struct{})
	if cfg.profiles != "" {
		if err := os.MkdirAll(cfg.profiles, 0o755); err != nil {
			return err
		}
		go func() {
			defer close(cpuDone)
			poll(ctx, 20*time.Millisecond, 10*time.Second, func() bool { // wait for the pprof listener
				c, err := net.Dial("tcp", op.PprofAddr)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
			secs := fmt.Sprintf("profile?seconds=%d", int(max(2, float64(cfg.n)/300)))
			if err := op.SaveProfile(secs, filepath.Join(cfg.profiles, "cpu-push-cold.pprof")); err != nil {
				step("cpu profile: %v", err)
			}
		}()
	} else {
		close(cpuDone)
	}
	if os.Getenv("BENCH_DUMP") != "" {
		defer func() {
			b, _ := os.ReadFile(env.OperatorLogPath())
			_ = os.WriteFile("/tmp/operator.log", b, 0o644)
		}()
	}
	if !poll(ctx, 50*time.Millisecond, 15*time.Minute, func() bool { return pushedCount(ctx, env) >= cfg.n }) {
		return fmt.Errorf("push cold start did not finish (%d/%d)", pushedCount(ctx, env), cfg.n)
	}
	res.PushColdSeconds = time.Since(start).Seconds()
	res.PushSyncsPerSecond = float64(cfg.n) / res.PushColdSeconds
	step("push cold start: %d Deployments in %.2fs", cfg.n, res.PushColdSeconds)
	time.Sleep(2 * time.Second) // let the last state patches land before counting
	m0, err := op.Metrics()
	if err != nil {
		return err
	}
	cold := trafficOf(m0)
	if os.Getenv("BENCH_DUMP") != "" {
		fmt.Fprintln(os.Stderr, "syncs:", m0.Sum("vault_sync_operator_sync_attempts_total", "result", "success"), "reconciles:", m0.Sum("controller_runtime_reconcile_total", "controller", "push-sync"))
		for _, s := range m0["vault_sync_operator_kube_requests_total"].Metric {
			fmt.Fprintln(os.Stderr, s.Label, s.Counter.GetValue())
		}
	}
	nf := float64(cfg.n)
	res.ColdVaultWritesPer, res.ColdVaultReadsPer = cold.VaultWrite/nf, cold.VaultRead/nf
	res.ColdMountLookups, res.ColdVaultLogins = cold.VaultMount, cold.VaultLogin
	res.ColdKubeGetsPer, res.ColdKubeWritesPer, res.ColdKubeEventsPer = cold.KubeGet/nf, cold.KubeWrite/nf, cold.KubeEvents/nf
	res.RSSAfterPushMiB, _ = op.Memory()
	<-cpuDone
	if cfg.profiles != "" {
		if err := op.SaveProfile("heap", filepath.Join(cfg.profiles, "heap-after-push.pprof")); err != nil {
			step("heap profile: %v", err)
		}
	}
	res.HeapAfterPushMiB = m0.Sum("go_memstats_heap_inuse_bytes") / (1 << 20)

	step("propagation: changing %d Secrets one by one", cfg.m)
	lat, err := propagate(ctx, c, env, cfg.n, cfg.m)
	if err != nil {
		return err
	}
	res.PushPropagationP50, res.PushPropagationP99 = percentile(lat, 0.5), percentile(lat, 0.99)

	if cfg.unrelated > 0 {
		step("adding %d unrelated 4 KiB Secrets", cfg.unrelated)
		if err := createUnrelatedSecrets(ctx, c, env, cfg.unrelated); err != nil {
			return err
		}
		time.Sleep(10 * time.Second)
		res.RSSWithUnrelatedMiB, _ = op.Memory()
		if cfg.profiles != "" {
			_ = op.SaveProfile("heap", filepath.Join(cfg.profiles, "heap-with-unrelated.pprof"))
		}
		if m, err := op.Metrics(); err == nil {
			res.HeapWithUnrelatedMiB = m.Sum("go_memstats_heap_inuse_bytes") / (1 << 20)
		}
	}

	if cfg.apps > 0 {
		step("creating %d VaultApps", cfg.apps)
		pstart := time.Now()
		if err := createVaultApps(ctx, c, env, cfg.apps, cfg.refresh); err != nil {
			return err
		}
		if !poll(ctx, 100*time.Millisecond, 10*time.Minute, func() bool { return appsSynced(ctx, c) >= cfg.apps }) {
			return fmt.Errorf("pull cold start did not finish (%d/%d)", appsSynced(ctx, c), cfg.apps)
		}
		res.PullColdSeconds = time.Since(pstart).Seconds()
		step("pull cold start: %d VaultApps in %.2fs", cfg.apps, res.PullColdSeconds)
		m := cfg.m
		if m > cfg.apps {
			m = cfg.apps
		}
		rl, err := rotate(ctx, c, env, cfg.apps, m, cfg.cluster)
		if err != nil {
			return err
		}
		res.PullRotationP50, res.PullRotationP99 = percentile(rl, 0.5), percentile(rl, 0.99)
	}

	step("idle window: %s with nothing changing", cfg.idle)
	time.Sleep(3 * time.Second)
	b, err := op.Metrics()
	if err != nil {
		return err
	}
	time.Sleep(cfg.idle)
	a, err := op.Metrics()
	if err != nil {
		return err
	}
	idle := trafficOf(a).Minus(trafficOf(b))
	res.IdleVaultWrites, res.IdleVaultLogins, res.IdleVaultReads, res.IdleKubeWrites = idle.VaultWrite+idle.VaultDelete, idle.VaultLogin, idle.VaultRead, idle.KubeWrite+idle.KubeEvents
	_, res.PeakRSSMiB = op.Memory()
	if cfg.cluster {
		res.ClusterRSSMiB = r.ClusterProcessesRSS()
	}

	printTable(res)
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	return nil
}

func printTable(r result) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(w, "%s\t%v\n", k, v) }
	row("push: deployments", r.Deployments)
	row("push: cold start (s)", fmt.Sprintf("%.2f", r.PushColdSeconds))
	row("push: syncs/s", fmt.Sprintf("%.0f", r.PushSyncsPerSecond))
	row("push: change -> vault p50 / p99 (s)", fmt.Sprintf("%.3f / %.3f", r.PushPropagationP50, r.PushPropagationP99))
	row("cold: vault writes / reads per deployment", fmt.Sprintf("%.2f / %.2f", r.ColdVaultWritesPer, r.ColdVaultReadsPer))
	row("cold: vault logins, mount look-ups", fmt.Sprintf("%.0f, %.0f", r.ColdVaultLogins, r.ColdMountLookups))
	row("cold: kube GETs / object writes / events per deployment", fmt.Sprintf("%.2f / %.2f / %.2f", r.ColdKubeGetsPer, r.ColdKubeWritesPer, r.ColdKubeEventsPer))
	row("memory after push: RSS / heap (MiB)", fmt.Sprintf("%.1f / %.1f", r.RSSAfterPushMiB, r.HeapAfterPushMiB))
	row(fmt.Sprintf("memory with %d unrelated Secrets: RSS / heap (MiB)", r.UnrelatedSecrets), fmt.Sprintf("%.1f / %.1f", r.RSSWithUnrelatedMiB, r.HeapWithUnrelatedMiB))
	row("pull: vaultapps", r.VaultApps)
	row("pull: cold start (s)", fmt.Sprintf("%.2f", r.PullColdSeconds))
	what := "Secret+template"
	if r.WholeCluster {
		what = "pods replaced"
	}
	row(fmt.Sprintf("pull: vault change -> %s p50 / p99 (s, refresh %.0fs)", what, r.RefreshSeconds), fmt.Sprintf("%.2f / %.2f", r.PullRotationP50, r.PullRotationP99))
	row(fmt.Sprintf("idle %.0fs: vault writes, logins, reads", r.IdleSeconds), fmt.Sprintf("%.0f, %.0f, %.0f", r.IdleVaultWrites, r.IdleVaultLogins, r.IdleVaultReads))
	row(fmt.Sprintf("idle %.0fs: kube writes", r.IdleSeconds), fmt.Sprintf("%.0f", r.IdleKubeWrites))
	row("peak RSS (MiB)", fmt.Sprintf("%.1f", r.PeakRSSMiB))
	if r.WholeCluster {
		row("whole cluster: extra processes start (s)", fmt.Sprintf("%.2f", r.ClusterStartSeconds))
		for name, mib := range r.ClusterRSSMiB {
			row("whole cluster: "+name+" RSS (MiB)", fmt.Sprintf("%.0f", mib))
		}
	}
	w.Flush()
}
