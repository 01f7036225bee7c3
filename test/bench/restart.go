package main

import (
	"context"
	"fmt"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// convergePoll is how often a fresh process's metrics are read to see
// whether it has reconciled everything: each scrape of thousands of
// per-VaultApp series costs the operator CPU, so not more often.
const convergePoll = 250 * time.Millisecond

// restartPhase stops the operator with everything synced, starts a new
// process and measures until it has re-verified every object; in that
// window nothing may be written (Vault, Kubernetes), nothing rolled out,
// and Vault logged in to once per identity at most.
func (b *bench) restartPhase(ctx context.Context) error {
	deps, apps := b.cfg.n, totalApps(b.cfg)
	step("restart: stopping the operator with %d Deployments and %d VaultApps synced", deps, apps)
	b.op.Stop()
	before, err := snapshotKube(ctx, b.c)
	if err != nil {
		return err
	}
	start := time.Now()
	op, err := b.startOperator()
	if err != nil {
		return err
	}
	b.op = op
	done, err := waitConverged(ctx, op, deps, apps, 10*time.Minute)
	if err != nil {
		return err
	}
	took := done.Sub(start)
	step("restart: re-verified in %.2fs", took.Seconds())
	time.Sleep(settle)
	m, err := op.Metrics()
	if err != nil {
		return err
	}
	after, err := snapshotKube(ctx, b.c)
	if err != nil {
		return err
	}
	changed, rollouts := before.changesTo(after)
	t := trafficOf(m)
	b.explainWrites(ctx, "restart", e2e.Metrics{}, m, start)
	b.s.add(fmt.Sprintf("restart: re-verify %d Deployments + %d VaultApps (s; process start -> each reconciled once)", deps, apps), "%.2f",
		val("restart_reverify_s", took.Seconds()))
	b.s.addThroughput("restart", "restart", deps+apps, took, b.ceil.verifyBound(), "GET, Vault read")
	b.s.add("restart: vault writes, logins (identities in use)", "%.0f, %.0f (%.0f)",
		val("restart_vault_writes", t.VaultWrite+t.VaultDelete), val("restart_vault_logins", t.VaultLogin), val("restart_identities", float64(identities(b.cfg))))
	b.s.add("restart: kube writes, events; objects changed (apiserver's view); rollouts", "%.0f, %.0f; %.0f; %.0f",
		val("restart_kube_writes", t.KubeWrite), val("restart_kube_events", t.KubeEvents),
		val("restart_objects_changed", float64(changed)), val("restart_rollouts", float64(rollouts)))
	b.s.addPerObject("restart", "restart", t, deps+apps)
	rss, _ := op.Memory()
	b.s.add("memory after the restart's re-verification: RSS (MiB)", "%.1f", val("rss_after_restart_mib", rss))
	return nil
}

// identities is how many Vault identities the benchmark's objects use:
// the operator's own role for push, appRole for every VaultApp.
func identities(cfg config) int {
	n := 0
	if cfg.n > 0 {
		n++
	}
	if totalApps(cfg) > 0 {
		n++
	}
	return n
}

// waitConverged waits until a fresh operator process has reconciled every
// Deployment and VaultApp once and returns when it first saw that.
func waitConverged(ctx context.Context, p *e2e.Process, deployments, apps int, timeout time.Duration) (time.Time, error) {
	var at time.Time
	ok := poll(ctx, convergePoll, timeout, func() bool {
		t := time.Now()
		m, err := p.Metrics()
		if err == nil && converged(m, deployments, apps) {
			at = t
			return true
		}
		return false
	})
	if !ok {
		m, _ := p.Metrics()
		return time.Time{}, fmt.Errorf("not every object reconciled in %s (push reconciles %.0f of %d, VaultApps reconciled %d of %d)", timeout,
			m.Sum("controller_runtime_reconcile_total", "controller", "push-sync"), deployments, len(m[appRefreshSeries].GetMetric()), apps)
	}
	return at, nil
}

// appRefreshSeries has one series per VaultApp, set when its reconcile
// starts: in a fresh process, the apps reconciled so far.
const appRefreshSeries = "vault_sync_operator_vaultapp_refresh_interval_seconds"

// converged tells whether a fresh process reconciled every object once:
// each controller reconciled at least as often as it has objects, with
// its queue empty and no worker busy (every object the informers listed
// at start has been through a worker), and every VaultApp has its series.
func converged(m e2e.Metrics, deployments, apps int) bool {
	return controllerIdle(m, "push-sync", deployments) && controllerIdle(m, "vaultapp", apps) &&
		len(m[appRefreshSeries].GetMetric()) >= apps
}

func controllerIdle(m e2e.Metrics, controller string, objects int) bool {
	return m.Sum("controller_runtime_reconcile_total", "controller", controller) >= float64(objects) &&
		m.Sum("workqueue_depth", "controller", controller) == 0 &&
		m.Sum("controller_runtime_active_workers", "controller", controller) == 0
}
