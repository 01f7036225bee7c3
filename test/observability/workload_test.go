package observability

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
)

// runWorkload is a sandbox-sized workload that produces every kind of
// event the dashboard and the alerts watch, failures included:
//
//   - push: examples/push/my-app.yaml syncs; examples/troubleshooting has a
//     missing Secret, a missing key, bad annotations and a path the
//     operator may not write;
//   - pull: a VaultApp that syncs (with monitoring), one whose role may not
//     read its path, one whose role does not exist; a value changed in
//     Vault (a rollout) and a hand edit of the managed Secret (a repair);
//   - dynamic secrets: database credentials renewed every 10s and a
//     certificate of at most 3 minutes (expiring "soon" from the start);
//   - a Vault outage long enough for a renewal to fail, then recovery;
//   - a certificate request changed while the role may no longer issue;
//   - deleting the database VaultApp, which revokes its lease.
//
// Each step waits until Prometheus has scraped its effect.
func runWorkload(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, ns := range []string{appsNamespace, "billing", "web"} {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"examples/push/my-app.yaml", "examples/troubleshooting/errors.yaml",
		"examples/dynamic/billing-db.yaml", "examples/dynamic/web-tls.yaml"} {
		if err := manifests.CreateFile(ctx, env.Client, filepath.Join(env.Root, f)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	synced := vaultApp("reader", roleReader, "kv/data/obs/app")
	synced.Spec.Monitoring = &appv1alpha1.MonitoringSpec{Enabled: true, Port: "http-metrics", Path: "/metrics", Interval: "30s"}
	for _, app := range []*appv1alpha1.VaultApp{synced,
		vaultApp("denied", roleDenied, "kv/data/obs/app"), vaultApp("no-role", "obs-no-such-role", "kv/data/obs/app")} {
		if err := env.Client.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`vault_sync_operator_sync_attempts_total{result="success"}`,
		`vault_sync_operator_vault_write_errors_total`,
		`vault_sync_operator_config_parse_errors_total`,
		`vault_sync_operator_vaultapp_syncs_total{vaultapp="reader",result="success"}`,
		`vault_sync_operator_vaultapp_vault_read_errors_total`,
		`vault_sync_operator_auth_attempts_total{result!="success"}`,
		`vault_sync_operator_vaultapp_lease_expiry_seconds{vaultapp="web-tls"}`,
		`vault_sync_operator_lease_renewals_total{result="success"}`,
	} {
		waitSeries(t, ctx, q, 90*time.Second)
	}

	rolloutAndRepair(t, ctx)

	// Vault goes away until a renewal has failed, then comes back.
	env.Vault.Proxy.SetDown(true)
	waitSeries(t, ctx, `vault_sync_operator_lease_renewals_total{result!~"success|capped"}`, 60*time.Second)
	waitSeries(t, ctx, `vault_sync_operator_vault_requests_total{code="0"}`, 10*time.Second)
	env.Vault.Proxy.SetDown(false)
	waitSeries(t, ctx, `increase(vault_sync_operator_lease_renewals_total{result="success"}[15s]) > 0`, 60*time.Second)

	failReissue(t, ctx)

	var db appv1alpha1.VaultApp
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "billing", Name: "billing-db"}, &db); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, &db); err != nil {
		t.Fatal(err)
	}
	waitSeries(t, ctx, `vault_sync_operator_lease_revocations_total`, 60*time.Second)
	time.Sleep(3 * time.Second) // a few more scrapes, so rates over the last minute see everything
}

// waitSeries waits until the PromQL query returns at least one series.
func waitSeries(t *testing.T, ctx context.Context, query string, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "Prometheus has "+query, func() error {
		s, err := prom.Query(ctx, query)
		if err != nil {
			return err
		}
		if len(s) == 0 {
			return fmt.Errorf("no series")
		}
		return nil
	})
}

// failReissue takes the web-tls role's right to issue certificates away and
// changes the VaultApp's certificate request: the replacement it asks for
// (reason spec_changed) is refused.
func failReissue(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := env.Vault.WritePolicy(ctx, rolePKI, `path "sys/internal/ui/mounts/*" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	var app appv1alpha1.VaultApp
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "web", Name: "web-tls"}, &app); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(app.DeepCopy())
	app.Spec.Vault.Issue[0].PKI.AltNames = append(app.Spec.Vault.Issue[0].PKI.AltNames, "api.example.com")
	if err := env.Client.Patch(ctx, &app, patch); err != nil {
		t.Fatal(err)
	}
	waitSeries(t, ctx, `vault_sync_operator_lease_reissues_total{result!="success"}`, 60*time.Second)
}

// rolloutAndRepair changes the value the "reader" VaultApp reads (the
// operator rolls its Deployment) and edits its Secret by hand (the
// operator repairs it).
func rolloutAndRepair(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := env.Vault.PutKV(ctx, "kv/data/obs/app", map[string]any{"token": "s3cr3t-value-2"}); err != nil {
		t.Fatal(err)
	}
	waitSeries(t, ctx, `vault_sync_operator_vaultapp_rollouts_total{reason="data_changed"}`, 60*time.Second)
	var sec corev1.Secret
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: appsNamespace, Name: "reader-vault-secrets"}, &sec); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(sec.DeepCopy())
	sec.Data["token"] = []byte("edited by hand")
	if err := env.Client.Patch(ctx, &sec, patch); err != nil {
		t.Fatal(err)
	}
	waitSeries(t, ctx, `vault_sync_operator_vaultapp_drift_repairs_total`, 60*time.Second)
}
