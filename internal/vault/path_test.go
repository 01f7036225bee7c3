package vault

import (
	"strings"
	"testing"
)

func TestValidatePath(t *testing.T) {
	for _, p := range []string{"secret/data/app", "kv1/team-a/app_1", "a/b.c/d"} {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v", p, err)
		}
	}
	for p, want := range map[string]string{
		"":              "empty",
		"/secret/app":   "must not start with '/'",
		"secret/app/":   "must not end with '/'",
		"secret//app":   "empty segment",
		"secret/../sys": "'..'",
		"secret/./app":  "'.'",
		"secret/my app": "whitespace",
		"secret/\tapp":  "whitespace",
	} {
		if err := ValidatePath(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidatePath(%q) = %v, want %q", p, err, want)
		}
	}
}

func TestLocate(t *testing.T) {
	v2 := mount{path: "secret/", kind: "kv", version: 2}
	v1 := mount{path: "kv1/", kind: "kv", version: 1}
	cases := []struct {
		path, mountPath string
		m               mount
		want            string
		err             string
	}{
		{path: "secret/data/my-app", m: v2, want: "secret/data/my-app"},
		{path: "secret/my-app", m: v2, want: "secret/data/my-app"},
		{path: "secret/data/team/app", m: v2, want: "secret/data/team/app"},
		{path: "kv1/my-app", m: v1, want: "kv1/my-app"},
		{path: "kv1/data/x", m: v1, want: "kv1/data/x"},
		{path: "secret/metadata/x", m: v2, err: "KV v2 API path"},
		{path: "secret", m: v2, err: "no secret inside it"},
		{path: "secret/data", m: v2, err: "no secret inside it"},
	}
	for _, tc := range cases {
		loc, err := locate(tc.path, tc.m)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("locate(%q) error = %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || loc.String() != tc.want {
			t.Errorf("locate(%q) = %q, %v; want %q", tc.path, loc.String(), err, tc.want)
		}
	}
	loc, _ := locate("secret/data/app", v2)
	if got := loc.WithPrefix("clusters/prod").Child("db").String(); got != "secret/data/clusters/prod/app/db" {
		t.Errorf("prefix+child = %s", got)
	}
}

// FuzzValidatePath: an accepted path can never climb out of its mount or
// be read by Vault as something else.
func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"secret/data/app", "/x", "a//b", "a/../b", "a/./b", "a b", "kv/\x00", "a/b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if ValidatePath(p) != nil {
			return
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, " \t\r\n") {
				t.Fatalf("accepted %q", p)
			}
		}
		loc, err := locate(p, mount{path: strings.Split(p, "/")[0] + "/", version: 2})
		if err == nil && (loc.Path == "" || strings.HasPrefix(loc.Path, "/")) {
			t.Fatalf("locate(%q) = %+v", p, loc)
		}
	})
}
