// Package policy limits, in operator-identity mode, which Vault paths the
// objects of each namespace may reach through the operator, and which
// Vault roles VaultApps of each namespace may use. It is checked before
// any Vault call: a violation never reaches Vault.
package policy

import (
	"fmt"
	"strings"
)

// Policy is a set of path templates and role templates. Templates may use
// {{namespace}} and {{cluster}}; a trailing "*" matches any suffix. An empty
// list allows everything (the default, for compatibility).
type Policy struct {
	paths []string
	roles []string
}

// New validates the templates.
func New(paths, roles []string) (*Policy, error) {
	for _, t := range append(append([]string{}, paths...), roles...) {
		if err := validate(t); err != nil {
			return nil, err
		}
	}
	return &Policy{paths: paths, roles: roles}, nil
}

func validate(t string) error {
	rest := strings.NewReplacer("{{namespace}}", "", "{{cluster}}", "").Replace(t)
	switch {
	case t == "":
		return fmt.Errorf("empty policy template")
	case strings.Contains(rest, "{{") || strings.Contains(rest, "}}"):
		return fmt.Errorf("policy template %q: only {{namespace}} and {{cluster}} are supported", t)
	case strings.Contains(strings.TrimSuffix(rest, "*"), "*"):
		return fmt.Errorf("policy template %q: \"*\" is allowed only at the end", t)
	}
	return nil
}

// DeniedError is a path or role outside the policy.
type DeniedError struct{ What, Value, Namespace string }

func (e *DeniedError) Error() string {
	return fmt.Sprintf("%s %q is not allowed for namespace %s by the operator's policy (ask the platform team, or use an allowed %s)",
		e.What, e.Value, e.Namespace, e.What)
}

// AllowPath checks a Vault API path ("secret/data/team-a/app").
func (p *Policy) AllowPath(namespace, cluster, path string) error {
	if p == nil || len(p.paths) == 0 || matchAny(p.paths, namespace, cluster, path) {
		return nil
	}
	return &DeniedError{What: "vault path", Value: path, Namespace: namespace}
}

// AllowRole checks the Vault role a VaultApp names.
func (p *Policy) AllowRole(namespace, cluster, role string) error {
	if p == nil || len(p.roles) == 0 || matchAny(p.roles, namespace, cluster, role) {
		return nil
	}
	return &DeniedError{What: "vault role", Value: role, Namespace: namespace}
}

// Render fills a template's {{namespace}} and {{cluster}}.
func Render(template, namespace, cluster string) string {
	return strings.NewReplacer("{{namespace}}", namespace, "{{cluster}}", cluster).Replace(template)
}

func matchAny(templates []string, namespace, cluster, v string) bool {
	for _, t := range templates {
		t = Render(t, namespace, cluster)
		if prefix, ok := strings.CutSuffix(t, "*"); ok {
			if strings.HasPrefix(v, prefix) {
				return true
			}
		} else if v == t {
			return true
		}
	}
	return false
}
