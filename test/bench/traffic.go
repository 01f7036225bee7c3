package main

import (
	"fmt"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// traffic is what the operator sent, from its own instrumentation.
type traffic struct {
	VaultLogin, VaultRead, VaultWrite, VaultDelete, VaultMount, VaultRenew float64
	KubeGet, KubeList, KubeWrite, KubeEvents                               float64
	// Reconciles of both controllers: how often an object was worked on.
	Reconciles float64
}

func trafficOf(m e2e.Metrics) traffic {
	return traffic{
		VaultLogin:  m.Sum("vault_sync_operator_vault_requests_total", "kind", "login"),
		VaultRead:   m.Sum("vault_sync_operator_vault_requests_total", "kind", "read"),
		VaultWrite:  m.Sum("vault_sync_operator_vault_requests_total", "kind", "write"),
		VaultDelete: m.Sum("vault_sync_operator_vault_requests_total", "kind", "delete"),
		VaultMount:  m.Sum("vault_sync_operator_vault_requests_total", "kind", "mount_lookup"),
		VaultRenew:  m.Sum("vault_sync_operator_vault_requests_total", "kind", "renew"),
		KubeGet:     m.Sum("vault_sync_operator_kube_requests_total", "verb", "get"),
		KubeList:    m.Sum("vault_sync_operator_kube_requests_total", "verb", "list"),
		KubeWrite:   m.Sum("vault_sync_operator_kube_requests_total", "verb", "create|update|patch|delete", "resource", "deployments|secrets|services|servicemonitors|vaultapps/status"),
		KubeEvents:  m.Sum("vault_sync_operator_kube_requests_total", "verb", "create|patch", "resource", "events"),
		Reconciles:  m.Sum("controller_runtime_reconcile_total", "controller", "push-sync|vaultapp"),
	}
}

// Minus is the traffic between two readings.
func (t traffic) Minus(o traffic) traffic {
	return traffic{t.VaultLogin - o.VaultLogin, t.VaultRead - o.VaultRead, t.VaultWrite - o.VaultWrite,
		t.VaultDelete - o.VaultDelete, t.VaultMount - o.VaultMount, t.VaultRenew - o.VaultRenew,
		t.KubeGet - o.KubeGet, t.KubeList - o.KubeList, t.KubeWrite - o.KubeWrite, t.KubeEvents - o.KubeEvents,
		t.Reconciles - o.Reconciles}
}

// addPerObject records a phase's reconciles and requests per object:
// Kubernetes GETs, object writes and events; Vault reads and writes
// (deletes included); and its Vault logins in all.
func (s *sample) addPerObject(key, label string, t traffic, objects int) {
	n := float64(max(objects, 1))
	s.add(label+": reconciles per object", "%.2f", val(key+"_reconciles_per_object", t.Reconciles/n))
	s.add(label+": per object kube GET / write / event", "%.2f / %.2f / %.2f",
		val(key+"_kube_gets_per_object", t.KubeGet/n), val(key+"_kube_writes_per_object", t.KubeWrite/n), val(key+"_kube_events_per_object", t.KubeEvents/n))
	s.add(label+": per object vault read / write; logins", "%.2f / %.2f; %.0f",
		val(key+"_vault_reads_per_object", t.VaultRead/n), val(key+"_vault_writes_per_object", (t.VaultWrite+t.VaultDelete)/n), val(key+"_vault_logins", t.VaultLogin))
}

// addThroughput records objects per second and that rate as a share of
// the most this machine could do (bound, from the ceiling phase).
func (s *sample) addThroughput(key, label string, objects int, d time.Duration, bound float64, boundName string) {
	rate := float64(objects) / d.Seconds()
	share := 0.0
	if bound > 0 {
		share = 100 * rate / bound
	}
	s.add(fmt.Sprintf("%s: objects/s, share of ceiling (%s)", label, boundName), "%.0f, %.0f%%",
		val(key+"_objects_per_s", rate), val(key+"_ceiling_share_pct", share))
}
