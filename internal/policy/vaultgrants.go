package policy

import (
	"context"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// VaultGrants reads the grants from VaultGrant objects (the manager's cache).
type VaultGrants struct {
	Reader client.Reader
	Log    logr.Logger
}

// Grants converts every VaultGrant; a template that is invalid (only the
// Go check can tell) is left out and logged, never widened.
func (v VaultGrants) Grants(ctx context.Context) ([]Grant, error) {
	var list appv1alpha1.VaultGrantList
	if err := v.Reader.List(ctx, &list); err != nil {
		return nil, err
	}
	out := make([]Grant, 0, len(list.Items))
	for _, vg := range list.Items {
		out = append(out, v.convert(&vg))
	}
	return out, nil
}

func (v VaultGrants) convert(vg *appv1alpha1.VaultGrant) Grant {
	g := Grant{Source: "VaultGrant " + vg.Name, Namespaces: vg.Spec.Namespaces}
	for _, r := range vg.Spec.VaultAppRoles {
		if err := ValidateRoleTemplate(r.Name); err != nil {
			v.Log.Info("VaultGrant entry ignored", "name", vg.Name, "reason", err.Error())
			continue
		}
		g.Roles = append(g.Roles, Role{AuthPath: r.AuthPath, Name: r.Name})
	}
	g.Read = v.valid(vg.Name, vg.Spec.ReadPaths)
	g.Write = v.valid(vg.Name, vg.Spec.WritePaths)
	return g
}

func (v VaultGrants) valid(name string, templates []string) []string {
	var out []string
	for _, t := range templates {
		if err := ValidatePathTemplate(t); err != nil {
			v.Log.Info("VaultGrant entry ignored", "name", name, "reason", err.Error())
			continue
		}
		out = append(out, t)
	}
	return out
}
