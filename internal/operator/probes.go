package operator

import (
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// addProbes registers /healthz (alive, Vault answers) and /readyz. Ready
// means the operator can do its work: with its own identity, that its
// login works; in workload-identity mode it has no Vault identity of its
// own (each workload's login is reported on that object), so that Vault
// answers.
func addProbes(mgr ctrl.Manager, pool *vault.Pool, o Options) error {
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("vault", vaultHealth(pool)); err != nil {
		return err
	}
	ready, readyName := vaultAuth(pool.Operator().Session), "vault-auth"
	if o.VaultIdentity == IdentityWorkload {
		ready, readyName = vaultHealth(pool), "vault"
	}
	return mgr.AddReadyzCheck(readyName, ready)
}
