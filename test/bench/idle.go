package main

import (
	"context"
	"fmt"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// idlePhase waits a window with nothing changing and counts what the
// operator sends meanwhile: from its own counters (writes, logins, reads
// in total) and from Vault's audit log (reads per group of VaultApps).
func (b *bench) idlePhase(ctx context.Context) error {
	idle := b.cfg.idle
	step("idle window: %s with nothing changing", idle)
	time.Sleep(3 * time.Second) // the last phase's trailing work
	audit, err := startAudit(ctx, b.env)
	if err != nil {
		return err
	}
	windowStart := time.Now()
	before, err := b.op.Metrics()
	if err != nil {
		return err
	}
	time.Sleep(idle)
	after, err := b.op.Metrics()
	if err != nil {
		return err
	}
	var prefixes []string
	for _, g := range appGroups(b.cfg) {
		prefixes = append(prefixes, g.pathPrefix())
	}
	reads, err := audit.stop(ctx, prefixes)
	if err != nil {
		return err
	}
	t := trafficOf(after).Minus(trafficOf(before))
	b.explainWrites(ctx, "idle", before, after, windowStart)
	b.addIdleTotals(t)
	b.addIdleReadsByGroup(reads, before, after)
	return nil
}

// addIdleTotals records what the operator counted in the idle window.
func (b *bench) addIdleTotals(t traffic) {
	label := fmt.Sprintf("idle %s", b.cfg.idle)
	b.s.add(label+": vault writes, logins, reads (operator's count)", "%.0f, %.0f, %.0f",
		val("idle_vault_writes", t.VaultWrite+t.VaultDelete), val("idle_vault_logins", t.VaultLogin), val("idle_vault_reads", t.VaultRead))
	b.s.add(label+": kube writes, events; GETs; reconciles", "%.0f, %.0f; %.0f; %.0f", val("idle_kube_writes", t.KubeWrite),
		val("idle_kube_events", t.KubeEvents), val("idle_kube_gets", t.KubeGet), val("idle_reconciles", t.Reconciles))
	if apps := totalApps(b.cfg); apps > 0 {
		b.s.add("idle: vault reads per minute per VaultApp, all apps (operator's count)", "%.2f",
			val("idle_vault_reads_per_min_per_app", t.VaultRead/b.cfg.idle.Minutes()/float64(apps)))
	}
}

// addIdleReadsByGroup records each group's Vault reads from Vault's audit
// log: per minute per app, and per sync of the group's apps (from the
// operator's per-app sync counter). Apps created or patched together
// refresh in step, so a short window catches each of them the same number
// of times (2 or 3 in 30s at a 10s refresh): per minute moves in steps,
// reads per sync does not.
func (b *bench) addIdleReadsByGroup(reads map[string]int, before, after e2e.Metrics) {
	idle := b.cfg.idle
	for _, g := range appGroups(b.cfg) {
		if g.count == 0 {
			continue
		}
		n := float64(reads[g.pathPrefix()])
		syncs := g.syncs(after) - g.syncs(before)
		perSync := 0.0
		if syncs > 0 {
			perSync = n / syncs
		}
		if g.sharedPath {
			windows := idle.Seconds() / b.cfg.refresh.Seconds()
			b.s.add(fmt.Sprintf("%s: idle vault reads per refresh window; per sync (%d apps, Vault's audit log)", g.label, g.count), "%.1f; %.3f",
				val("idle_shared_reads_per_refresh", n/windows), val("idle_shared_reads_per_sync", perSync))
			continue
		}
		b.s.add(g.label+": idle vault reads per minute per VaultApp; per sync (Vault's audit log)", "%.2f; %.3f",
			val("idle_"+g.name+"_reads_per_min_per_app", n/idle.Minutes()/float64(g.count)), val("idle_"+g.name+"_reads_per_sync", perSync))
	}
	if plain, tmpl := b.s.get("idle_plain_reads_per_sync"), b.s.get("idle_template_reads_per_sync"); plain > 0 && tmpl > 0 {
		b.s.add("template vs plain: idle vault reads per sync (%)", "%+.0f%%", val("template_vs_plain_idle_reads_pct", 100*(tmpl/plain-1)))
	}
}

// peakPhase records the first operator process's memory now and at its
// peak, before the restart replaces it.
func (b *bench) peakPhase(context.Context) error {
	rss, peak := b.op.Memory()
	b.s.add("first operator process, everything synced: RSS / peak RSS (MiB)", "%.1f / %.1f", val("rss_synced_mib", rss), val("peak_rss_mib", peak))
	return nil
}
