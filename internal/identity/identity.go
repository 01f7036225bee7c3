// Package identity decides who the operator is in Vault when it acts for
// an object: its own service account (operator-identity mode) or the
// object's own service account (workload-identity mode), with which role.
// Both controllers resolve identities here, so the two modes mean the same
// thing for push and for VaultApps.
package identity

import (
	appsv1 "k8s.io/api/apps/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Resolver maps objects to Vault identities.
type Resolver struct {
	// OperatorRole is the operator's own role (--vault-role).
	OperatorRole string
	// Workload logs in as each object's own service account.
	Workload bool
	// PushRole is, in workload mode, the push role of Deployments without a
	// vault-sync.io/role annotation ({{namespace}}, {{cluster}}).
	PushRole string
	// Cluster fills {{cluster}}.
	Cluster string
	// Complete fills an identity's empty auth method and mount with the
	// operator's (vault.Config.Complete), so that policy checks and Vault
	// logins see the same mount.
	Complete func(vault.Identity) vault.Identity
}

// Operator is the operator's own identity (--vault-role at its auth mount).
func (r Resolver) Operator() vault.Identity {
	return r.complete(vault.Identity{Role: r.OperatorRole})
}

// ForDeployment is who pushes a Deployment's Secrets: the operator, or in
// workload mode the Deployment's service account with the role of its
// vault-sync.io/role annotation (else PushRole rendered for its namespace).
func (r Resolver) ForDeployment(dep *appsv1.Deployment) vault.Identity {
	if !r.Workload {
		return r.Operator()
	}
	role := dep.Annotations[pushsync.AnnotationRole]
	if role == "" {
		role = policy.Render(r.PushRole, dep.Namespace, r.Cluster)
	}
	return r.complete(vault.Identity{Role: role, Namespace: dep.Namespace, ServiceAccount: orDefault(dep.Spec.Template.Spec.ServiceAccountName)})
}

// ForVaultApp is who reads a VaultApp's secrets: its spec.vault role and
// auth mount, logged in as the operator or (workload mode) as the app's
// service account.
func (r Resolver) ForVaultApp(app *appv1alpha1.VaultApp) vault.Identity {
	id := vault.Identity{Method: app.Spec.Vault.AuthMethod, AuthPath: app.Spec.Vault.AuthPath, Role: app.Spec.Vault.Role}
	if r.Workload {
		id.Namespace, id.ServiceAccount = app.Namespace, orDefault(app.Spec.DeploymentSpec.Template.Spec.ServiceAccountName)
	}
	return r.complete(id)
}

func (r Resolver) complete(id vault.Identity) vault.Identity {
	if r.Complete == nil {
		return id
	}
	return r.Complete(id)
}

// Describe names the service account Vault sees, for error messages.
func Describe(id vault.Identity) string {
	if id.ServiceAccount != "" {
		return "the app's service account " + id.Namespace + "/" + id.ServiceAccount
	}
	return "the operator's service account"
}

func orDefault(sa string) string {
	if sa == "" {
		return "default"
	}
	return sa
}
