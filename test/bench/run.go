package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// appRole is the Vault role of every benchmark VaultApp: one identity,
// so that apps reading the same path may share a read.
const appRole = "bench-apps"

// settle is how long a phase waits after its last object synced before it
// reads the operator's counters, so trailing status patches are counted.
const settle = 2 * time.Second

// bench is one run: a fresh rig, the operator process currently measured,
// and the sample the phases fill.
type bench struct {
	cfg  config
	run  int
	env  *e2e.Env
	c    client.WithWatch
	s    *sample
	ceil ceiling
	op   *e2e.Process
}

// phase is one measured part of a run, in the order of phases.
type phase struct {
	name string
	on   func(config) bool
	do   func(*bench, context.Context) error
}

var phases = []phase{
	{"ceiling", func(config) bool { return true }, (*bench).ceilingPhase},
	{"push cold start", func(config) bool { return true }, (*bench).pushPhase},
	{"push propagation", func(c config) bool { return c.m > 0 && c.n > 0 }, (*bench).propagationPhase},
	{"unrelated Secrets", func(c config) bool { return c.unrelated > 0 }, (*bench).unrelatedPhase},
	{"pull cold starts", func(config) bool { return true }, (*bench).pullPhase},
	{"refresh interval", func(c config) bool { return totalApps(c) > 0 }, (*bench).refreshPhase},
	{"pull rotation", func(c config) bool { return c.m > 0 && c.apps > 0 }, (*bench).rotationPhase},
	{"idle window", func(c config) bool { return c.idle > 0 }, (*bench).idlePhase},
	{"peak memory", func(config) bool { return true }, (*bench).peakPhase},
	{"restart at scale", func(c config) bool { return c.restart }, (*bench).restartPhase},
	{"leader failover", func(c config) bool { return c.failover && c.n > 0 }, (*bench).failoverPhase},
}

// runOnce starts a fresh rig and runs every phase that is on.
func runOnce(ctx context.Context, cfg config, run int) (*sample, error) {
	r, err := rig.Start(ctx, rig.Options{CRDDirectoryPaths: e2e.CRDPaths(), Logf: step, WithCluster: cfg.cluster})
	if err != nil {
		return nil, err
	}
	defer r.Stop()
	env := e2e.NewEnv(r)
	defer env.Close()
	if os.Getenv("BENCH_DUMP") != "" {
		defer keepOperatorLog(env, run)
	}
	if err := env.GrantEverything(ctx); err != nil {
		return nil, err
	}
	if err := env.WriteOperatorRole(ctx, appRole, e2e.ReadPolicy("kv/*"), ""); err != nil {
		return nil, err
	}
	rc := *r.RestConfig
	rc.QPS, rc.Burst = 2000, 4000
	c, err := client.NewWithWatch(&rc, client.Options{Scheme: rig.Scheme()})
	if err != nil {
		return nil, err
	}
	if _, err := env.OperatorBinary(); err != nil { // built before any clock starts
		return nil, err
	}
	b := &bench{cfg: cfg, run: run, env: env, c: c, s: newSample()}
	for _, p := range phases {
		if !p.on(cfg) {
			continue
		}
		if err := p.do(b, ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	if cfg.cluster {
		for name, mib := range r.ClusterProcessesRSS() {
			b.s.add("whole cluster: "+name+" RSS (MiB)", "%.0f", val("cluster_rss_mib_"+name, mib))
		}
		b.s.add("whole cluster: extra processes start (s)", "%.2f", val("cluster_processes_start_s", r.ClusterStartup.Seconds()))
	}
	return b.s, nil
}

// startOperator starts the operator binary with the benchmark's launch
// (its flags after --, GOMEMLIMIT) plus extra flags before them.
func (b *bench) startOperator(extra ...string) (*e2e.Process, error) {
	l := e2e.Launch{Args: append(extra, b.cfg.operatorArgs...)}
	if b.cfg.memLimit != "" {
		l.Environ = append(l.Environ, "GOMEMLIMIT="+b.cfg.memLimit)
	}
	return b.env.StartProcess(l)
}

// keepOperatorLog copies the operator's log out of the rig's directory
// (BENCH_DUMP=1), which is removed with the rig.
func keepOperatorLog(env *e2e.Env, run int) {
	data, err := os.ReadFile(env.OperatorLogPath())
	if err != nil {
		return
	}
	_ = os.WriteFile(filepath.Join(os.TempDir(), fmt.Sprintf("bench-operator-run%d.log", run+1)), data, 0o644)
}

func (b *bench) ceilingPhase(ctx context.Context) error {
	o := b.cfg.operator
	step("ceiling: %s of each request kind with %d workers", b.cfg.ceilingFor, o.MaxConcurrentReconciles)
	c, err := measureCeiling(ctx, b.env, o.MaxConcurrentReconciles, b.cfg.ceilingFor)
	if err != nil {
		return err
	}
	b.ceil = c
	b.s.add(fmt.Sprintf("ceiling: apiserver Secret GET / Deployment merge-patch per s (%d workers; operator's client: %.0f QPS, burst %d)",
		o.MaxConcurrentReconciles, o.KubeAPIQPS, o.KubeAPIBurst), "%.0f / %.0f",
		val("ceiling_secret_get_per_s", c.SecretGet), val("ceiling_deployment_patch_per_s", c.DeploymentPatch))
	b.s.add(fmt.Sprintf("ceiling: Vault KV v2 put / read per s (%d workers)", o.MaxConcurrentReconciles), "%.0f / %.0f",
		val("ceiling_vault_put_per_s", c.VaultPut), val("ceiling_vault_read_per_s", c.VaultRead))
	return nil
}
