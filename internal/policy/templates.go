package policy

import (
	"fmt"
	"strings"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// ValidatePathTemplate checks a path template: only {{namespace}} and
// {{cluster}}, and "*" only alone or as a whole final segment ("a/b/*"), so
// that a template means the same set of paths for every namespace (no
// "secret/data/team*" that namespace "team" would share with "team-b").
func ValidatePathTemplate(t string) error {
	if err := placeholdersOnly(t); err != nil {
		return err
	}
	if t == "*" {
		return nil
	}
	body, wild := strings.CutSuffix(t, "/*")
	if strings.Contains(body, "*") {
		return fmt.Errorf("path template %q: \"*\" is allowed only alone or as the last segment (\"prefix/*\")", t)
	}
	if err := vault.ValidatePath(Render(body, "ns", "cluster")); err != nil {
		return fmt.Errorf("path template %q: %w", t, err)
	}
	_ = wild
	return nil
}

// ValidateRoleTemplate checks a role template: only {{namespace}} and
// {{cluster}}, matched exactly once filled in, or "*" alone. A partial
// wildcard such as "{{namespace}}-*" is refused: namespace "team" would
// match role "team-a-billing" of namespace "team-a".
func ValidateRoleTemplate(t string) error {
	if err := placeholdersOnly(t); err != nil {
		return err
	}
	if t != "*" && strings.Contains(t, "*") {
		return fmt.Errorf("role template %q: \"*\" is allowed only alone (a partial wildcard is ambiguous between namespaces; list the roles, or use {{namespace}} exactly)", t)
	}
	return nil
}

func placeholdersOnly(t string) error {
	rest := strings.NewReplacer("{{namespace}}", "", "{{cluster}}", "").Replace(t)
	switch {
	case t == "":
		return fmt.Errorf("empty template")
	case strings.Contains(rest, "{{") || strings.Contains(rest, "}}"):
		return fmt.Errorf("template %q: only {{namespace}} and {{cluster}} are supported", t)
	}
	return nil
}

// FromFlags is the grant of the --allowed-vault-paths and
// --allowed-vaultapp-roles flags: every namespace, the given roles at the
// operator's auth mount, the paths for reading and writing.
func FromFlags(paths, roles []string) ([]Grant, error) {
	if len(paths) == 0 && len(roles) == 0 {
		return nil, nil
	}
	g := Grant{Source: "the operator's --allowed-* flags", Namespaces: []string{"*"}, Read: paths, Write: paths}
	for _, p := range paths {
		if err := ValidatePathTemplate(p); err != nil {
			return nil, fmt.Errorf("--allowed-vault-paths: %w", err)
		}
	}
	for _, r := range roles {
		if err := ValidateRoleTemplate(r); err != nil {
			return nil, fmt.Errorf("--allowed-vaultapp-roles: %w", err)
		}
		g.Roles = append(g.Roles, Role{Name: r})
	}
	return []Grant{g}, nil
}
