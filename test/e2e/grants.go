package e2e

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// GrantEverything creates the VaultGrant a suite that is not about the
// tenant boundary runs under: every namespace may use every role (at the
// auth mounts the rig configures) and every path. The operator's own role
// stays refused to VaultApps whatever a grant says.
func (e *Env) GrantEverything(ctx context.Context) error {
	roles := []appv1alpha1.GrantedRole{{Name: "*"}, {AuthPath: "kubernetes", Name: "*"}, {AuthPath: "jwt", Name: "*"}}
	return e.Client.Create(ctx, &appv1alpha1.VaultGrant{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-everything"},
		Spec: appv1alpha1.VaultGrantSpec{Namespaces: []string{"*"}, VaultAppRoles: roles,
			ReadPaths: []string{"*"}, WritePaths: []string{"*"}},
	})
}
