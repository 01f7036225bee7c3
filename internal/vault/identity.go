package vault

import "encoding/json"

// Identity is who the operator is when it talks to Vault: a role of a
// Kubernetes or JWT auth method at an auth mount, logged in with either the
// operator's own service-account token (ServiceAccount empty) or a
// workload's.
type Identity struct {
	// Method is AuthKubernetes (default when empty) or AuthJWT.
	Method         string
	AuthPath       string
	Role           string
	Namespace      string
	ServiceAccount string
}

// Auth methods a session can log in with.
const (
	// AuthKubernetes: Vault checks the service-account token with the
	// apiserver's TokenReview API.
	AuthKubernetes = "kubernetes"
	// AuthJWT: Vault checks the token's signature against the cluster's
	// OIDC issuer keys itself (no token reviewer).
	AuthJWT = "jwt"
)

// IdentityKey is a stable text form of an identity (for store keys).
func IdentityKey(id Identity) string {
	b, _ := json.Marshal(id)
	return string(b)
}
