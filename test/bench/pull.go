package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

const pullNamespaces = 10

// appGroup is a set of VaultApps measured together: their own namespaces
// (<name>-0..9), their own Vault paths (kv/data/bench/<name>/...), and
// the shape of their spec.
type appGroup struct {
	name, label string
	count       int
	// template adds one template per app; monitoring turns on the Service
	// and ServiceMonitor; sharedPath makes every app read one path.
	template, monitoring, sharedPath bool
}

// appGroups are the pull phases in the order they run. When fewer apps
// have monitoring on than are plain, a baseline group of plain apps of the
// monitoring group's size runs just before it, so the two compare at the
// same size.
func appGroups(cfg config) []appGroup {
	return []appGroup{
		{name: "plain", label: "pull", count: cfg.apps},
		{name: "template", label: "pull with a template each", count: cfg.templateApps, template: true},
		{name: "baseline", label: "pull, plain at the monitoring group's size", count: baselineApps(cfg)},
		{name: "monitoring", label: "pull with monitoring on", count: cfg.monitoringApps, monitoring: true},
		{name: "shared", label: "pull, one path and identity for all", count: cfg.sharedApps, sharedPath: true},
	}
}

func baselineApps(cfg config) int {
	if cfg.monitoringApps > 0 && cfg.monitoringApps != cfg.apps {
		return cfg.monitoringApps
	}
	return 0
}

func totalApps(cfg config) int {
	n := 0
	for _, g := range appGroups(cfg) {
		n += g.count
	}
	return n
}

func (g appGroup) key(i int) client.ObjectKey {
	return client.ObjectKey{Namespace: fmt.Sprintf("%s-%d", g.name, i%pullNamespaces), Name: fmt.Sprintf("app-%d", i)}
}

// owns tells whether an object's key is in the group's namespaces.
func (g appGroup) owns(k client.ObjectKey) bool {
	rest, ok := strings.CutPrefix(k.Namespace, g.name+"-")
	return ok && len(rest) > 0 && strings.Trim(rest, "0123456789") == ""
}

// syncs is how many successful syncs of the group's apps a reading of the
// operator's metrics counts.
func (g appGroup) syncs(m e2e.Metrics) float64 {
	namespaces := make([]string, pullNamespaces)
	for k := range namespaces {
		namespaces[k] = fmt.Sprintf("%s-%d", g.name, k)
	}
	return m.Sum("vault_sync_operator_vaultapp_syncs_total", "namespace", strings.Join(namespaces, "|"), "result", "success")
}

// pathPrefix is the group's part of Vault (reads there are the group's).
func (g appGroup) pathPrefix() string { return "kv/data/bench/" + g.name + "/" }

func (g appGroup) vaultPath(i int) string {
	if g.sharedPath {
		return g.pathPrefix() + "all"
	}
	return fmt.Sprintf("%sapp-%d", g.pathPrefix(), i)
}

// newApp is the group's i-th VaultApp, created with a parked refresh
// interval (see parkedRefresh).
func (g appGroup) newApp(i int) *appv1alpha1.VaultApp {
	k := g.key(i)
	app := e2e.NewVaultApp(k.Namespace, k.Name, appRole,
		appv1alpha1.SecretRef{Path: g.vaultPath(i), Key: "password", TargetKey: "password"})
	app.Spec.Vault.RefreshInterval = appv1alpha1.NewDuration(parkedRefresh)
	if g.template {
		app.Spec.Secret = &appv1alpha1.SecretSpec{Templates: []appv1alpha1.SecretTemplate{
			{Name: "config.yaml", Template: "database:\n  password: {{ .Values.password | toJson }}\n"}}}
	}
	if g.monitoring {
		c := &app.Spec.DeploymentSpec.Template.Spec.Containers[0]
		c.Ports = []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}
		app.Spec.Monitoring = &appv1alpha1.MonitoringSpec{Enabled: true}
	}
	return app
}

// synced tells whether the app's Secret is written (and, with monitoring,
// its Service and ServiceMonitor).
func (g appGroup) synced(app *appv1alpha1.VaultApp) bool {
	ok := app.Status.SecretVersion != "" && meta.IsStatusConditionTrue(app.Status.Conditions, appv1alpha1.ConditionSecretsSynced)
	if g.monitoring {
		ok = ok && meta.IsStatusConditionTrue(app.Status.Conditions, appv1alpha1.ConditionMonitoringReady)
	}
	return ok
}

// prepare writes the group's Vault values and namespaces, before the clock.
func (g appGroup) prepare(ctx context.Context, env *e2e.Env) error {
	for k := 0; k < pullNamespaces; k++ {
		if err := env.EnsureNamespace(ctx, fmt.Sprintf("%s-%d", g.name, k)); err != nil {
			return err
		}
	}
	paths := g.count
	if g.sharedPath {
		paths = 1
	}
	return parallel(paths, 16, func(i int) error {
		return env.Vault.PutKV(ctx, g.vaultPath(i), map[string]any{"password": "initial"})
	})
}

// pullPhase runs the cold start of every group in turn, with the operator
// running: from the first create to the last app synced.
func (b *bench) pullPhase(ctx context.Context) error {
	for _, g := range appGroups(b.cfg) {
		if g.count == 0 {
			continue
		}
		if err := b.pullColdStart(ctx, g); err != nil {
			return fmt.Errorf("%s: %w", g.label, err)
		}
	}
	b.comparePullGroups()
	return nil
}

func (b *bench) pullColdStart(ctx context.Context, g appGroup) error {
	if err := g.prepare(ctx, b.env); err != nil {
		return err
	}
	w := watchFirst(ctx, b.c, &appv1alpha1.VaultAppList{}, g.synced)
	defer w.stop()
	before, err := b.op.Metrics()
	if err != nil {
		return err
	}
	step("%s: creating %d VaultApps", g.label, g.count)
	start := time.Now()
	if err := parallel(g.count, 32, func(i int) error { return b.c.Create(ctx, g.newApp(i)) }); err != nil {
		return err
	}
	created := time.Since(start)
	last, err := w.waitFor(ctx, g.count, g.owns, 10*time.Minute)
	if err != nil {
		return fmt.Errorf("cold start did not finish: %w; the others: %v", err, b.unsyncedReasons(ctx, g))
	}
	cold := last.Sub(start)
	step("%s: %d VaultApps in %.2fs", g.label, g.count, cold.Seconds())
	time.Sleep(settle)
	after, err := b.op.Metrics()
	if err != nil {
		return err
	}
	t := trafficOf(after).Minus(trafficOf(before))
	rss, _ := b.op.Memory()
	b.s.add(g.label+": cold start (s; first create -> last synced), of which creating; RSS after (MiB)", "%.2f, %.2f; %.1f",
		val(g.name+"_cold_start_s", cold.Seconds()), val(g.name+"_create_s", created.Seconds()), val("rss_after_"+g.name+"_mib", rss))
	b.s.addThroughput(g.name+"_cold", g.label+": cold start", g.count, cold, b.ceil.pullBound(), "Vault read, patch")
	b.s.addPerObject(g.name+"_cold", g.label+": cold start", t, g.count)
	return nil
}

// comparePullGroups states what a template and monitoring cost beyond a
// plain key copy, per app, in the same run.
func (b *bench) comparePullGroups() {
	perApp := func(name string, count int) float64 { return b.s.get(name+"_cold_start_s") / float64(count) }
	plain := perApp("plain", b.cfg.apps)
	if b.cfg.apps == 0 || plain == 0 {
		return
	}
	if b.cfg.templateApps > 0 {
		b.s.add("template vs plain: cold start per app (%)", "%+.0f%%",
			val("template_vs_plain_cold_pct", 100*(perApp("template", b.cfg.templateApps)/plain-1)))
	}
	if b.cfg.monitoringApps > 0 {
		off := "plain"
		if baselineApps(b.cfg) > 0 {
			off = "baseline"
		}
		offPerApp := perApp(off, b.cfg.monitoringApps)
		extra := func(what string) float64 {
			return b.s.get("monitoring_cold_"+what+"_per_object") - b.s.get(off+"_cold_"+what+"_per_object")
		}
		b.s.add("monitoring on vs off, same size: cold start per app (%), kube GETs / writes per app", "%+.0f%%, %+.2f / %+.2f",
			val("monitoring_vs_plain_cold_pct", 100*(perApp("monitoring", b.cfg.monitoringApps)/offPerApp-1)),
			val("monitoring_extra_kube_gets_per_app", extra("kube_gets")), val("monitoring_extra_kube_writes_per_app", extra("kube_writes")))
	}
}

// unsyncedReasons tallies the conditions of the group's apps not synced
// yet, for the error that says a cold start did not finish.
func (b *bench) unsyncedReasons(ctx context.Context, g appGroup) map[string]int {
	var list appv1alpha1.VaultAppList
	if err := b.c.List(ctx, &list); err != nil {
		return map[string]int{err.Error(): 1}
	}
	tally := map[string]int{}
	for i := range list.Items {
		app := &list.Items[i]
		if !g.owns(client.ObjectKeyFromObject(app)) || g.synced(app) {
			continue
		}
		var conds []string
		for _, c := range app.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
		}
		tally[strings.Join(conds, " ")]++
	}
	return tally
}
