// Package policy decides which Vault roles and paths the objects of a
// namespace may use through the operator. The platform team states it in
// VaultGrants (cluster-scoped objects tenants cannot write) and, for
// static installs, the --allowed-vault-paths / --allowed-vaultapp-roles
// flags. It is checked before any Vault call: a violation never reaches
// Vault. Without a grant a namespace can use nothing (operator-identity
// mode), and the operator's own role is never usable by a VaultApp.
package policy

import (
	"context"
	"fmt"
	"strings"
)

// Access is what the operator does at a path.
type Access string

const (
	// Read: a VaultApp reads the path.
	Read Access = "read"
	// Write: push writes or deletes the path, or a VaultApp issues from it.
	Write Access = "write"
)

// Role is a Vault role at an auth mount ("" means the operator's mount).
type Role struct{ AuthPath, Name string }

// Grant is what one VaultGrant (or the flags) grants to some namespaces.
type Grant struct {
	// Source names the grant in messages ("VaultGrant billing").
	Source string
	// Namespaces are namespace names, or "*".
	Namespaces []string
	Roles      []Role
	// Read and Write are path templates.
	Read, Write []string
}

// Source yields the grants in force (the VaultGrants in the cache).
type Source interface {
	Grants(ctx context.Context) ([]Grant, error)
}

// Policy is the operator's policy.
type Policy struct {
	// Enforce: without a matching grant everything is denied. Off, only the
	// operator's own role is refused.
	Enforce bool
	// Objects are the VaultGrants; Static the grant made by the flags.
	Objects Source
	Static  []Grant
	// Cluster fills {{cluster}}.
	Cluster string
	// Operator is the operator's own role: never usable by a VaultApp.
	Operator Role
	// DefaultAuthPath is the auth mount of roles that name none.
	DefaultAuthPath string
}

// DeniedError is a path or role the policy does not allow.
type DeniedError struct {
	What, Value string
	// Access is what was asked of a path (empty for a role).
	Access    Access
	Namespace string
	Why       string
}

func (e *DeniedError) Error() string {
	what := fmt.Sprintf("%s %q", e.What, e.Value)
	if e.Access != "" {
		what += " (" + string(e.Access) + ")"
	}
	return fmt.Sprintf("%s is not allowed for namespace %s: %s", what, e.Namespace, e.Why)
}

const notGranted = "no VaultGrant for this namespace grants it; a cluster admin grants it with a VaultGrant (docs/tenancy.md)"

// AllowRole checks the role a VaultApp logs in with (authPath "" is the
// operator's own mount).
func (p *Policy) AllowRole(ctx context.Context, namespace, authPath, role string) error {
	if p == nil {
		return nil
	}
	if authPath == "" {
		authPath = p.DefaultAuthPath
	}
	// Vault's Kubernetes auth stores role names in lower case: any case of
	// the operator's role is the operator's role.
	if p.Operator.Name != "" && strings.EqualFold(role, p.Operator.Name) && authPath == p.authPath(p.Operator) {
		return &DeniedError{What: "vault role", Value: authPath + "/" + role, Namespace: namespace,
			Why: "it is the operator's own role, which no VaultApp may use; log in with a role made for the app"}
	}
	grants, err := p.grants(ctx, namespace)
	if err != nil || !p.Enforce && len(grants) == 0 {
		return err
	}
	for _, g := range grants {
		for _, r := range g.Roles {
			if p.authPath(r) == authPath && matchRole(Render(r.Name, namespace, p.Cluster), role) {
				return nil
			}
		}
	}
	return &DeniedError{What: "vault role", Value: authPath + "/" + role, Namespace: namespace, Why: notGranted}
}

// AllowPath checks a Vault path the operator reads or writes for an
// object of namespace.
func (p *Policy) AllowPath(ctx context.Context, namespace, path string, access Access) error {
	if p == nil {
		return nil
	}
	grants, err := p.grants(ctx, namespace)
	if err != nil || !p.Enforce && len(grants) == 0 {
		return err
	}
	for _, g := range grants {
		templates := g.Write
		if access == Read {
			templates = g.Read
		}
		for _, t := range templates {
			if matchPath(Render(t, namespace, p.Cluster), path) {
				return nil
			}
		}
	}
	return &DeniedError{What: "vault path", Value: path, Access: access, Namespace: namespace, Why: notGranted}
}

// grants are the grants that apply to namespace.
func (p *Policy) grants(ctx context.Context, namespace string) ([]Grant, error) {
	all := p.Static
	if p.Objects != nil {
		objs, err := p.Objects.Grants(ctx)
		if err != nil {
			return nil, fmt.Errorf("cannot read VaultGrants: %w", err)
		}
		all = append(append([]Grant(nil), all...), objs...)
	}
	var out []Grant
	for _, g := range all {
		for _, n := range g.Namespaces {
			if n == "*" || n == namespace {
				out = append(out, g)
				break
			}
		}
	}
	return out, nil
}

func (p *Policy) authPath(r Role) string {
	if r.AuthPath == "" {
		return p.DefaultAuthPath
	}
	return r.AuthPath
}

// Render fills a template's {{namespace}} and {{cluster}}.
func Render(template, namespace, cluster string) string {
	return strings.NewReplacer("{{namespace}}", namespace, "{{cluster}}", cluster).Replace(template)
}

// matchRole: exact (in any case, as Vault's auth methods match role names),
// or "*" for every role.
func matchRole(t, role string) bool { return t == "*" || strings.EqualFold(t, role) }

// matchPath: exact; "*" for every path; "<prefix>/*" for every path below
// prefix (at least one more segment). Paths are validated (no "..", "."
// or "//") before they are checked, so a match cannot be escaped.
func matchPath(t, path string) bool {
	if t == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(t, "*"); ok {
		return strings.HasPrefix(path, prefix) && len(path) > len(prefix)
	}
	return path == t
}
