package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type grants []Grant

func (g grants) Grants(context.Context) ([]Grant, error) { return g, nil }

func teamGrants() *Policy {
	return &Policy{Enforce: true, Cluster: "prod", DefaultAuthPath: "kubernetes",
		Operator: Role{Name: "vault-sync-operator"},
		Objects: grants{
			{Source: "VaultGrant teams", Namespaces: []string{"*"},
				Roles: []Role{{Name: "{{namespace}}"}, {AuthPath: "jwt", Name: "{{namespace}}-app"}},
				Read:  []string{"kv/data/{{namespace}}/*", "kv/data/shared/config"},
				Write: []string{"secret/data/{{namespace}}/*", "secret/data/clusters/{{cluster}}/{{namespace}}/*"}},
			{Source: "VaultGrant billing", Namespaces: []string{"billing"}, Roles: []Role{{Name: "billing-app"}},
				Read: []string{"kv/data/billing/*"}, Write: []string{"pki/issue/billing"}},
		}}
}

func TestPathsAreAllowedOnlyAsGranted(t *testing.T) {
	p := teamGrants()
	cases := []struct {
		name, ns, path string
		access         Access
		ok             bool
	}{
		{"should allow writing under the namespace's own prefix", "team-a", "secret/data/team-a/app", Write, true},
		{"should refuse writing under another namespace's prefix", "team-a", "secret/data/team-b/app", Write, false},
		{"should refuse a prefix that merely starts like the namespace", "team", "secret/data/team-a/app", Write, false},
		{"should refuse the prefix itself (a wildcard needs one more segment)", "team-a", "secret/data/team-a", Write, false},
		{"should fill the cluster in", "team-a", "secret/data/clusters/prod/team-a/x", Write, true},
		{"should refuse another cluster's path", "team-a", "secret/data/clusters/dev/team-a/x", Write, false},
		{"should keep reads and writes apart", "team-a", "kv/data/team-a/app", Write, false},
		{"should allow a granted read", "team-a", "kv/data/team-a/app", Read, true},
		{"should allow an exact path", "team-a", "kv/data/shared/config", Read, true},
		{"should not treat an exact path as a prefix", "team-a", "kv/data/shared/config/x", Read, false},
		{"should apply a named grant to its namespace only", "billing", "pki/issue/billing", Write, true},
		{"should not apply a named grant to other namespaces", "team-a", "pki/issue/billing", Write, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := p.AllowPath(context.Background(), tc.ns, tc.path, tc.access)
			if (err == nil) != tc.ok {
				t.Fatalf("AllowPath(%s, %s, %s) = %v, want allowed=%v", tc.ns, tc.path, tc.access, err, tc.ok)
			}
			var d *DeniedError
			if err != nil && (!errors.As(err, &d) || !strings.Contains(err.Error(), "VaultGrant")) {
				t.Fatalf("the refusal does not say what to do: %v", err)
			}
		})
	}
}

func TestRolesAreAllowedOnlyAsGrantedAndNeverTheOperators(t *testing.T) {
	p := teamGrants()
	cases := []struct {
		name, ns, authPath, role string
		ok                       bool
	}{
		{"should allow the namespace's own role", "team-a", "", "team-a", true},
		{"should allow it at the operator's mount named explicitly", "team-a", "kubernetes", "team-a", true},
		{"should refuse another namespace's role", "team-a", "", "team-b", false},
		{"should refuse a role granted at another mount", "team-a", "kubernetes", "team-a-app", false},
		{"should allow the role at its mount", "team-a", "jwt", "team-a-app", true},
		{"should refuse the granted name at another mount", "team-a", "jwt", "team-a", false},
		{"should refuse a role whose name extends another namespace's", "team", "jwt", "team-a-app", false},
		{"should never allow the operator's own role", "billing", "", "vault-sync-operator", false},
		{"should never allow the operator's own role in another case", "billing", "", "VAULT-SYNC-Operator", false},
		{"should match a granted role in another case (Vault lower-cases them)", "team-a", "", "TEAM-A", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := p.AllowRole(context.Background(), tc.ns, tc.authPath, tc.role)
			if (err == nil) != tc.ok {
				t.Fatalf("AllowRole(%s, %s/%s) = %v, want allowed=%v", tc.ns, tc.authPath, tc.role, err, tc.ok)
			}
		})
	}
}

func TestTheOperatorsRoleIsRefusedEvenWhenGranted(t *testing.T) {
	p := &Policy{Enforce: true, DefaultAuthPath: "kubernetes", Operator: Role{Name: "vault-sync-operator"},
		Static: []Grant{{Namespaces: []string{"*"}, Roles: []Role{{Name: "*"}, {AuthPath: "other-mount", Name: "*"}}, Read: []string{"*"}, Write: []string{"*"}}}}
	for _, role := range []string{"vault-sync-operator", "VAULT-SYNC-OPERATOR"} {
		if err := p.AllowRole(context.Background(), "team-a", "", role); err == nil || !strings.Contains(err.Error(), "operator's own role") {
			t.Fatalf("AllowRole(%s) = %v", role, err)
		}
	}
	if p.AllowRole(context.Background(), "team-a", "other-mount", "vault-sync-operator") != nil {
		t.Fatal("a role of the same name at another mount is another role")
	}
}

func TestWithoutGrantsEverythingIsDenied(t *testing.T) {
	p := &Policy{Enforce: true, DefaultAuthPath: "kubernetes"}
	if p.AllowPath(context.Background(), "x", "secret/data/x/y", Write) == nil || p.AllowRole(context.Background(), "x", "", "x") == nil {
		t.Fatal("secure default: nothing is allowed without a grant")
	}
	open := &Policy{DefaultAuthPath: "kubernetes", Operator: Role{Name: "op"}}
	if open.AllowPath(context.Background(), "x", "anything", Write) != nil || open.AllowRole(context.Background(), "x", "", "any") != nil {
		t.Fatal("without enforcement (workload identity) Vault decides")
	}
	if open.AllowRole(context.Background(), "x", "", "op") == nil {
		t.Fatal("the operator's role is refused in every mode")
	}
	var none *Policy
	if none.AllowPath(context.Background(), "x", "y", Read) != nil {
		t.Fatal("a nil policy allows (tests and tools without a policy)")
	}
}

func TestTemplatesMustBeUnambiguous(t *testing.T) {
	for _, bad := range []string{"", "secret/{{name}}/*", "secret/*/x", "{{namespace", "secret/data/team*", "secret/data/{{namespace}}*", "a/../b/*", "a//b"} {
		if ValidatePathTemplate(bad) == nil {
			t.Errorf("path template %q accepted", bad)
		}
	}
	for _, good := range []string{"*", "secret/data/{{namespace}}/*", "kv1/shared", "secret/data/clusters/{{cluster}}/{{namespace}}/*"} {
		if err := ValidatePathTemplate(good); err != nil {
			t.Errorf("path template %q refused: %v", good, err)
		}
	}
	for _, bad := range []string{"{{namespace}}-*", "team-*", "{{ns}}"} {
		if ValidateRoleTemplate(bad) == nil {
			t.Errorf("role template %q accepted", bad)
		}
	}
	if _, err := FromFlags(nil, []string{"{{namespace}}-*"}); err == nil {
		t.Error("the ambiguous flag template of earlier versions is accepted")
	}
}

// FuzzAllowPath: a namespace can never reach a path under another
// namespace's prefix through the {{namespace}} template.
func FuzzAllowPath(f *testing.F) {
	f.Add("team-a", "secret/data/team-a/x")
	f.Add("a", "secret/data/ab/x")
	p := &Policy{Enforce: true, Static: []Grant{{Namespaces: []string{"*"}, Write: []string{"secret/data/{{namespace}}/*"}}}}
	f.Fuzz(func(t *testing.T, ns, path string) {
		if strings.ContainsAny(ns, "/{}") || ns == "" {
			return // not a namespace name
		}
		if p.AllowPath(context.Background(), ns, path, Write) == nil && !strings.HasPrefix(path, "secret/data/"+ns+"/") {
			t.Fatalf("namespace %q reached %q", ns, path)
		}
	})
}
