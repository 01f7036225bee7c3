package operator

import (
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Who the operator is in Vault (--vault-identity).
const (
	// IdentityOperator: every login uses the operator's own service
	// account; the operator's path policy and role allow-list isolate teams.
	IdentityOperator = "operator"
	// IdentityWorkload: the operator logs in as each Deployment's or
	// VaultApp's own service account (a short-lived TokenRequest token), so
	// Vault's roles and policies decide what each namespace may touch.
	IdentityWorkload = "workload"
)

// workloadTokenTTL is the lifetime of tokens requested for workloads: the
// TokenRequest minimum. Each is presented once, at login.
const workloadTokenTTL = 10 * time.Minute

// defaultWorkloadAudience is the audience of workload tokens when
// --vault-jwt-audience is not set (the Vault roles' "audience").
const defaultWorkloadAudience = "vault"

// workloadJWT requests tokens of workloads' service accounts.
func workloadJWT(cfg *rest.Config, o Options) (func(namespace, serviceAccount string) vault.JWTSource, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	aud := o.Vault.JWTAudience
	if aud == "" {
		aud = defaultWorkloadAudience
	}
	return func(namespace, serviceAccount string) vault.JWTSource {
		return vault.TokenRequestJWT{Client: cs, Namespace: namespace, Name: serviceAccount,
			Audiences: []string{aud}, TTL: workloadTokenTTL}
	}, nil
}

func validateIdentity(o Options) error {
	switch o.VaultIdentity {
	case "", IdentityOperator, IdentityWorkload:
		return nil
	}
	return fmt.Errorf("--vault-identity=%q: must be operator or workload", o.VaultIdentity)
}
