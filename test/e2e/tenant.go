package e2e

import (
	"context"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// As returns a client acting as user through the API server's
// impersonation (what `kubectl --as=user` does): every request is
// authorised with that user's RBAC, not the rig's admin rights. It is how
// a test plays a tenant. The user is in system:authenticated, as every
// logged-in user is.
func (e *Env) As(user string) (client.Client, error) {
	cfg := rest.CopyConfig(e.RestConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	return client.New(cfg, client.Options{Scheme: rig.Scheme()})
}

// BindClusterRole grants user the ClusterRole (e.g. the built-in "edit"
// or "view") in namespace ns only, with a RoleBinding named
// <user>-<clusterRole> (kept if it exists).
func (e *Env) BindClusterRole(ctx context.Context, ns, user, clusterRole string) error {
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: user + "-" + clusterRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	if err := e.Client.Create(ctx, rb); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}
