// Command dynamic (part of `make bench`) measures VaultApps with dynamic
// database credentials on the real rig: N VaultApps each holding a lease
// of Vault's database engine on a real PostgreSQL, then a window in which
// the leases renew. It prints a table and one JSON line.
//
//	go run ./test/bench/dynamic -apps 500 -ttl 60s -window 2m
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

type result struct {
	VaultApps           int     `json:"dynamic_vaultapps"`
	LeaseTTLSeconds     float64 `json:"lease_ttl_s"`
	ColdSeconds         float64 `json:"dynamic_cold_start_s"`
	WindowSeconds       float64 `json:"renewal_window_s"`
	RenewalsPerMinute   float64 `json:"renewals_per_min"`
	Reissues            float64 `json:"reissues_in_window"`
	PeakVaultReqPerSec  float64 `json:"peak_vault_requests_per_s"`
	VaultLoginsInWindow float64 `json:"vault_logins_in_window"`
	KubeWritesPerMinute float64 `json:"kube_writes_per_min"`
	RSSMiB              float64 `json:"rss_mib"`
	PeakRSSMiB          float64 `json:"peak_rss_mib"`
	PostgresRoles       int     `json:"postgres_roles"`
}

func main() {
	apps := flag.Int("apps", 500, "VaultApps, each with its own database lease")
	ttl := flag.Duration("ttl", 60*time.Second, "default_ttl of the database role (leases renew at 2/3 of it)")
	window := flag.Duration("window", 2*time.Minute, "measurement window after the cold start")
	flag.Parse()
	res, err := run(*apps, *ttl, *window)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "dynamic VaultApps (database leases, TTL %s)\t%d\n", *ttl, res.VaultApps)
	fmt.Fprintf(w, "cold start: every app's Secret holds its own credentials\t%.1f s\n", res.ColdSeconds)
	fmt.Fprintf(w, "renewals per minute (window %s)\t%.0f\n", *window, res.RenewalsPerMinute)
	fmt.Fprintf(w, "re-issues in the window\t%.0f\n", res.Reissues)
	fmt.Fprintf(w, "peak Vault requests per second\t%.0f\n", res.PeakVaultReqPerSec)
	fmt.Fprintf(w, "Vault logins in the window\t%.0f\n", res.VaultLoginsInWindow)
	fmt.Fprintf(w, "Kubernetes writes per minute (status of renewed leases)\t%.0f\n", res.KubeWritesPerMinute)
	fmt.Fprintf(w, "operator RSS / peak\t%.0f / %.0f MiB\n", res.RSSMiB, res.PeakRSSMiB)
	fmt.Fprintf(w, "PostgreSQL roles created by Vault\t%d\n", res.PostgresRoles)
	w.Flush()
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
}

func step(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

func run(n int, ttl, window time.Duration) (*result, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := rig.Start(ctx, rig.Options{CRDDirectoryPaths: e2e.CRDPaths(), Logf: step})
	if err != nil {
		return nil, err
	}
	defer r.Stop()
	env := e2e.NewEnv(r)
	defer env.Close()
	if err := env.GrantEverything(ctx); err != nil {
		return nil, err
	}
	pg, err := env.StartPostgres()
	if err != nil {
		return nil, err
	}
	if err := env.EnableDatabase(ctx, pg, "bench", ttl, 24*time.Hour); err != nil {
		return nil, err
	}
	if err := env.WriteOperatorRole(ctx, "bench-db", `path "database/creds/bench" { capabilities = ["read"] }
path "sys/leases/revoke/database/creds/bench/*" { capabilities = ["update"] }`, ""); err != nil {
		return nil, err
	}
	rc := *r.RestConfig
	rc.QPS, rc.Burst = 2000, 4000
	c, err := client.New(&rc, client.Options{Scheme: rig.Scheme()})
	if err != nil {
		return nil, err
	}
	op, err := env.StartProcess(e2e.Launch{})
	if err != nil {
		return nil, err
	}
	if err := env.EnsureNamespace(ctx, "dyn"); err != nil {
		return nil, err
	}

	step("creating %d VaultApps with database credentials", n)
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := c.Create(ctx, dynamicApp(i)); err != nil {
			return nil, err
		}
	}
	res := &result{VaultApps: n, LeaseTTLSeconds: ttl.Seconds(), WindowSeconds: window.Seconds()}
	if err := e2e.WaitFor(ctx, 250*time.Millisecond, 10*time.Minute, func() bool {
		var list appv1alpha1.VaultAppList
		if err := c.List(ctx, &list, client.InNamespace("dyn")); err != nil {
			return false
		}
		ready := 0
		for _, a := range list.Items {
			if len(a.Status.Leases) == 1 {
				ready++
			}
		}
		return ready == n
	}); err != nil {
		return nil, fmt.Errorf("cold start: %w", err)
	}
	res.ColdSeconds = time.Since(start).Seconds()

	step("watching renewals for %s", window)
	before, err := op.Metrics()
	if err != nil {
		return nil, err
	}
	prevReq := before.Sum("vault_sync_operator_vault_requests_total")
	end := time.Now().Add(window)
	for time.Now().Before(end) {
		time.Sleep(time.Second)
		m, err := op.Metrics()
		if err != nil {
			continue
		}
		cur := m.Sum("vault_sync_operator_vault_requests_total")
		res.PeakVaultReqPerSec = max(res.PeakVaultReqPerSec, cur-prevReq)
		prevReq = cur
	}
	after, err := op.Metrics()
	if err != nil {
		return nil, err
	}
	minutes := window.Minutes()
	res.RenewalsPerMinute = (after.Sum("vault_sync_operator_lease_renewals_total") - before.Sum("vault_sync_operator_lease_renewals_total")) / minutes
	res.Reissues = after.Sum("vault_sync_operator_lease_reissues_total") - before.Sum("vault_sync_operator_lease_reissues_total")
	res.VaultLoginsInWindow = after.Sum("vault_sync_operator_vault_requests_total", "kind", "login") - before.Sum("vault_sync_operator_vault_requests_total", "kind", "login")
	writes := func(m e2e.Metrics) float64 {
		return m.Sum("vault_sync_operator_kube_requests_total", "verb", "create|update|patch|delete", "resource", "deployments|secrets|vaultapps|vaultapps/status")
	}
	res.KubeWritesPerMinute = (writes(after) - writes(before)) / minutes
	res.RSSMiB, res.PeakRSSMiB = op.Memory()
	res.PostgresRoles, err = pg.RoleCount("v-kubernet-bench-%")
	return res, err
}

func dynamicApp(i int) *appv1alpha1.VaultApp {
	return e2e.NewVaultApp("dyn", fmt.Sprintf("dyn-%d", i), "bench-db",
		appv1alpha1.SecretRef{Path: "database/creds/bench", Key: "username", TargetKey: "username"},
		appv1alpha1.SecretRef{Path: "database/creds/bench", Key: "password", TargetKey: "password"})
}
