package operator

import (
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// newVaultPool builds the one Vault pool of the process: metrics, the
// operator's own token source, workload tokens and the token store.
func newVaultPool(cfg *rest.Config, mgr ctrl.Manager, o Options) (*vault.Pool, error) {
	jwt, err := operatorJWT(cfg, o)
	if err != nil {
		return nil, err
	}
	opts := []vault.PoolOption{vault.WithObserver(metrics.VaultObserver{}),
		vault.WithLogger(ctrl.Log.WithName("vault")), vault.WithTokenCheck(o.VaultTokenCheck), vault.WithIdleTimeout(o.VaultClientIdleTimeout)}
	if o.VaultIdentity == IdentityWorkload {
		wj, err := workloadJWT(cfg, o)
		if err != nil {
			return nil, err
		}
		opts = append(opts, vault.WithWorkloadJWT(wj))
	}
	if ns := tokenStoreNamespace(o); ns != "" && ns != "-" {
		opts = append(opts, vault.WithTokenStore(secretTokenStore{reader: mgr.GetAPIReader(), writer: mgr.GetClient(), namespace: ns}))
	}
	return vault.NewPool(o.Vault, jwt, opts...)
}

// operatorJWT chooses how the operator obtains the token it logs in with.
func operatorJWT(cfg *rest.Config, o Options) (vault.JWTSource, error) {
	if o.VaultServiceAccount == "" {
		return vault.FileJWT(o.VaultJWTFile), nil
	}
	ns, name, _ := strings.Cut(o.VaultServiceAccount, "/")
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	var aud []string
	if o.Vault.JWTAudience != "" {
		aud = []string{o.Vault.JWTAudience}
	}
	return vault.TokenRequestJWT{Client: cs, Namespace: ns, Name: name, Audiences: aud}, nil
}
