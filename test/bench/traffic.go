package main

import "github.com/vault-sync-io/vault-sync-operator/test/e2e"

// traffic is what the operator sent, from its own instrumentation.
type traffic struct {
	VaultLogin, VaultRead, VaultWrite, VaultDelete, VaultMount, VaultRenew float64
	KubeGet, KubeList, KubeWrite, KubeEvents                               float64
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
	}
}

// Minus is the traffic between two readings.
func (t traffic) Minus(o traffic) traffic {
	return traffic{t.VaultLogin - o.VaultLogin, t.VaultRead - o.VaultRead, t.VaultWrite - o.VaultWrite,
		t.VaultDelete - o.VaultDelete, t.VaultMount - o.VaultMount, t.VaultRenew - o.VaultRenew,
		t.KubeGet - o.KubeGet, t.KubeList - o.KubeList, t.KubeWrite - o.KubeWrite, t.KubeEvents - o.KubeEvents}
}
