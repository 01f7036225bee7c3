package tenancy

import (
	"context"
	"path/filepath"
	"slices"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
)

// platformNS is a namespace the platform trusts with every Vault role at
// the operator's auth mount: the operator's own role must stay refused
// there, "whatever a grant says".
const platformNS = "platform"

// setUpPlatform does what a platform team does before tenants arrive: the
// namespaces, the VaultApp roles aggregated into edit and view, the
// VaultGrants (the documented {{namespace}} pattern of examples/grants plus
// the suite's), and in Vault each team's role, data and a dynamic engine.
func setUpPlatform(ctx context.Context, e *e2e.Env) error {
	for _, ns := range []string{teamA, teamB, teamC, teamPrefixOfA, platformNS} {
		if err := e.EnsureNamespace(ctx, ns); err != nil {
			return err
		}
	}
	for _, f := range []string{"config/rbac/vaultapp_aggregate_roles.yaml", "examples/grants/team-namespaces.yaml"} {
		if err := manifests.CreateFile(ctx, e.Client, filepath.Join(e.Root, f)); err != nil {
			return err
		}
	}
	for _, g := range suiteGrants() {
		if err := e.Client.Create(ctx, g); err != nil {
			return err
		}
	}
	if err := setUpVault(ctx, e); err != nil {
		return err
	}
	// The controller-manager folds the aggregated rules into edit and view.
	return e2e.WaitFor(ctx, 200*time.Millisecond, 30*time.Second, func() bool {
		return grantsVaultApps(ctx, e.Client, "edit") && grantsVaultApps(ctx, e.Client, "view")
	})
}

// suiteGrants complete examples/grants/team-namespaces.yaml (push under
// secret/data/<namespace>/, read kv/data/<namespace>/, role <namespace>):
// each namespace may also push KV v1 under kv1/<namespace>/ and issue from
// its own role of the Kubernetes secrets engine; team-a and team-b share a
// prefix both may write (a common configuration area); the platform
// namespace may use every role.
func suiteGrants() []client.Object {
	grant := func(name string, spec appv1alpha1.VaultGrantSpec) client.Object {
		return &appv1alpha1.VaultGrant{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
	}
	return []client.Object{
		grant("team-engines", appv1alpha1.VaultGrantSpec{Namespaces: []string{"*"},
			WritePaths: []string{"kv1/{{namespace}}/*", "kubernetes-secrets/creds/{{namespace}}"}}),
		grant("shared-config", appv1alpha1.VaultGrantSpec{Namespaces: []string{teamA, teamB},
			WritePaths: []string{"kv1/shared/*", "secret/data/shared/*"}}),
		grant("platform-any-role", appv1alpha1.VaultGrantSpec{Namespaces: []string{platformNS},
			VaultAppRoles: []appv1alpha1.GrantedRole{{Name: "*"}}, ReadPaths: []string{"kv/data/" + platformNS + "/*"}}),
	}
}

// setUpVault gives each namespace a Vault role of its name (bound to the
// operator's service account, as operator-identity mode needs) reading
// kv/data/<namespace>/ and issuing from its Kubernetes-engine role, and
// mounts that engine for team-a and team-b.
func setUpVault(ctx context.Context, e *e2e.Env) error {
	for _, ns := range []string{teamA, teamB} {
		if err := e.EnableKubernetesEngine(ctx, ns, ns, "deployer"); err != nil {
			return err
		}
	}
	for _, ns := range []string{teamA, teamB, teamC, teamPrefixOfA, platformNS} {
		if err := e.WriteOperatorRole(ctx, ns, teamPolicy(ns), ""); err != nil {
			return err
		}
		if err := e.Vault.PutKV(ctx, "kv/data/"+ns+"/app", map[string]any{"token": ns + "-token"}); err != nil {
			return err
		}
	}
	return nil
}

// teamPolicy is a team role's Vault policy. Its lease revocation is
// deliberately broad (any lease of the shared engine, as a platform might
// write it once for all teams): only the operator's own checks then keep
// one team's VaultApp from revoking another team's leases.
func teamPolicy(ns string) string {
	return e2e.ReadPolicy("kv/data/"+ns+"/*") + `
path "kubernetes-secrets/creds/` + ns + `" { capabilities = ["update"] }
path "sys/leases/revoke/kubernetes-secrets/creds/*" { capabilities = ["update"] }
`
}

// grantsVaultApps tells whether the ClusterRole lets its holder create VaultApps.
func grantsVaultApps(ctx context.Context, c client.Client, role string) bool {
	var cr rbacv1.ClusterRole
	if c.Get(ctx, client.ObjectKey{Name: role}, &cr) != nil {
		return false
	}
	return slices.ContainsFunc(cr.Rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, appv1alpha1.GroupVersion.Group) && slices.Contains(r.Resources, "vaultapps")
	})
}
