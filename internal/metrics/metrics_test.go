package metrics

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/client-go/rest"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func TestVaultObserverCountsLoginsAndRequests(t *testing.T) {
	o := VaultObserver{}
	logins := testutil.ToFloat64(AuthAttempts.WithLabelValues("auth_failed"))
	reads := testutil.ToFloat64(VaultRequests.WithLabelValues("read", "403"))
	o.Login("auth_failed")
	o.Request(vault.KindRead, 403)
	o.Request(vault.KindRead, 403)
	if got := testutil.ToFloat64(AuthAttempts.WithLabelValues("auth_failed")) - logins; got != 1 {
		t.Fatalf("auth_attempts_total{result=auth_failed} grew by %v, want 1", got)
	}
	if got := testutil.ToFloat64(VaultRequests.WithLabelValues("read", "403")) - reads; got != 2 {
		t.Fatalf("vault_requests_total{kind=read,code=403} grew by %v, want 2", got)
	}
}

// series collects a per-VaultApp gauge computed at scrape time by
// "namespace/vaultapp".
func series(t *testing.T, c *clockGauge) map[string]float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 100)
	c.Collect(ch)
	close(ch)
	out := map[string]float64{}
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{}
		for _, l := range d.Label {
			labels[l.GetName()] = l.GetValue()
		}
		out[labels["namespace"]+"/"+labels["vaultapp"]] = d.GetGauge().GetValue()
	}
	return out
}

func TestLeaseExpiryIsReportedAtScrapeTime(t *testing.T) {
	SetLeases("team", "billing", 2, time.Now().Add(10*time.Minute))
	got := series(t, expiries)["team/billing"]
	if got < 595 || got > 600 {
		t.Fatalf("expiry = %vs, want about 600s", got)
	}
	if n := testutil.ToFloat64(LeasesActive.WithLabelValues("team", "billing")); n != 2 {
		t.Fatalf("vaultapp_leases_active = %v, want 2", n)
	}

	SetLeases("team", "billing", 0, time.Time{})
	if _, ok := series(t, expiries)["team/billing"]; ok {
		t.Fatal("an app without leases still has an expiry series")
	}
	if n := testutil.CollectAndCount(LeasesActive); n != 0 {
		t.Fatalf("%d vaultapp_leases_active series left, want 0", n)
	}
}

func TestForgetVaultAppDropsItsSeries(t *testing.T) {
	VaultAppSyncs.WithLabelValues("team", "gone", "success").Inc()
	VaultAppSyncs.WithLabelValues("team", "gone", "error").Inc()
	VaultAppSyncs.WithLabelValues("team", "kept", "success").Inc()
	VaultAppLastSuccess.WithLabelValues("team", "gone").SetToCurrentTime()
	VaultAppRefreshInterval.WithLabelValues("team", "gone").Set(60)
	SetRolloutQueued("team", "gone", true)
	ForgetVaultApp("team", "gone")
	if n := testutil.CollectAndCount(VaultAppSyncs); n != 1 {
		t.Fatalf("%d vaultapp_syncs_total series left, want only the kept app's", n)
	}
	if n := testutil.CollectAndCount(VaultAppLastSuccess); n != 0 {
		t.Fatalf("%d last-success series left", n)
	}
	if n := testutil.CollectAndCount(VaultAppRefreshInterval); n != 0 {
		t.Fatalf("%d refresh interval series left", n)
	}
	if _, ok := series(t, rollouts)["team/gone"]; ok {
		t.Fatal("the rollout-queued series of a deleted app is left")
	}
}

// discovered is what the secrets_discovered collector reports in these
// tests: it can be registered once per process (the registry is global).
var (
	discovered         map[string]int
	registerDiscovered sync.Once
)

func TestSecretsDiscoveredIsComputedAtScrapeTime(t *testing.T) {
	discovered = map[string]int{"team": 3}
	var err error
	registerDiscovered.Do(func() { err = RegisterSecretsDiscovered(func() map[string]int { return discovered }) })
	if err != nil {
		t.Fatal(err)
	}
	read := func() float64 {
		families, err := ctrlmetrics.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "vault_sync_operator_secrets_discovered" {
				return f.Metric[0].GetGauge().GetValue()
			}
		}
		t.Fatal("vault_sync_operator_secrets_discovered is not served")
		return 0
	}
	if got := read(); got != 3 {
		t.Fatalf("secrets_discovered = %v, want 3", got)
	}
	discovered["team"] = 5
	if got := read(); got != 5 {
		t.Fatalf("secrets_discovered after a change = %v, want 5", got)
	}
}

func TestInstrumentedKubeClientCountsRequestsAndConflicts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			w.WriteHeader(http.StatusConflict)
		}
	}))
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL}
	InstrumentKubeClient(cfg)
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	patches := testutil.ToFloat64(KubeRequests.WithLabelValues("patch", "deployments"))
	conflicts := testutil.ToFloat64(KubeConflicts.WithLabelValues("deployments"))
	gets := testutil.ToFloat64(KubeRequests.WithLabelValues("get", "secrets"))
	for _, r := range []struct{ method, path string }{
		{http.MethodPatch, "/apis/apps/v1/namespaces/team/deployments/web"},
		{http.MethodGet, "/api/v1/namespaces/team/secrets/db"},
	} {
		req, _ := http.NewRequest(r.method, srv.URL+r.path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if d := testutil.ToFloat64(KubeRequests.WithLabelValues("patch", "deployments")) - patches; d != 1 {
		t.Fatalf("patch requests counted %v, want 1", d)
	}
	if d := testutil.ToFloat64(KubeConflicts.WithLabelValues("deployments")) - conflicts; d != 1 {
		t.Fatalf("conflicts counted %v, want 1", d)
	}
	if d := testutil.ToFloat64(KubeRequests.WithLabelValues("get", "secrets")) - gets; d != 1 {
		t.Fatalf("get requests counted %v, want 1", d)
	}
	if d := testutil.ToFloat64(KubeConflicts.WithLabelValues("secrets")); d != 0 {
		t.Fatalf("a 200 counted as a conflict")
	}
}
