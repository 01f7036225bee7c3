package policy

import (
	"strings"
	"testing"
)

func TestPolicy(t *testing.T) {
	p, err := New([]string{"secret/data/{{namespace}}/*", "secret/data/clusters/{{cluster}}/{{namespace}}/*", "kv1/shared"}, []string{"{{namespace}}-*", "readonly"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ns, path string
		ok       bool
	}{
		{"team-a", "secret/data/team-a/app", true},
		{"team-a", "secret/data/team-b/app", false},
		{"team-a", "secret/data/team-ab/app", false}, // prefix is "team-a/", not "team-a"
		{"team-a", "secret/data/clusters/prod/team-a/x", true},
		{"team-a", "secret/data/clusters/dev/team-a/x", false},
		{"team-a", "kv1/shared", true},
		{"team-a", "kv1/shared/x", false},
	} {
		err := p.AllowPath(tc.ns, "prod", tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("AllowPath(%s, %s) = %v, want allowed=%v", tc.ns, tc.path, err, tc.ok)
		}
	}
	if p.AllowRole("team-a", "prod", "team-a-billing") != nil || p.AllowRole("team-a", "prod", "readonly") != nil {
		t.Error("allowed roles refused")
	}
	if err := p.AllowRole("team-a", "prod", "team-b-billing"); err == nil || !strings.Contains(err.Error(), `vault role "team-b-billing" is not allowed for namespace team-a`) {
		t.Errorf("AllowRole = %v", err)
	}
	var empty *Policy
	if empty.AllowPath("x", "", "anything") != nil || empty.AllowRole("x", "", "any") != nil {
		t.Error("no policy must allow everything")
	}
}

func TestPolicyTemplatesAreValidated(t *testing.T) {
	for _, bad := range []string{"", "secret/{{name}}/*", "secret/*/x", "{{namespace"} {
		if _, err := New([]string{bad}, nil); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

// FuzzAllowPath: a namespace can never reach a path under another
// namespace's prefix through the {{namespace}} template.
func FuzzAllowPath(f *testing.F) {
	f.Add("team-a", "secret/data/team-a/x")
	f.Add("a", "secret/data/ab/x")
	p, _ := New([]string{"secret/data/{{namespace}}/*"}, nil)
	f.Fuzz(func(t *testing.T, ns, path string) {
		if strings.Contains(ns, "/") || ns == "" {
			return // not a namespace name
		}
		if p.AllowPath(ns, "", path) == nil && !strings.HasPrefix(path, "secret/data/"+ns+"/") {
			t.Fatalf("namespace %q reached %q", ns, path)
		}
	})
}
