package pushsync

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name    string
		ann     map[string]string
		want    Config
		errType string
		errText string
	}{
		{name: "should be disabled without the path annotation", ann: map[string]string{AnnotationSecrets: "junk"}, want: Config{}},
		{name: "should enable auto-discovery with only a path", ann: map[string]string{AnnotationPath: "secret/data/my-app"},
			want: Config{Enabled: true, Path: "secret/data/my-app"}},
		{name: "should parse explicit selections with keys and prefix", ann: map[string]string{AnnotationPath: "secret/data/my-app",
			AnnotationSecrets: `[{"name":"my-app-secrets","keys":["username","password"],"prefix":"app_"}]`},
			want: Config{Enabled: true, Path: "secret/data/my-app", Explicit: []SecretSelection{{Name: "my-app-secrets", Keys: []string{"username", "password"}, Prefix: "app_"}}}},
		{name: "should parse preserve-on-delete and the reconcile interval", ann: map[string]string{AnnotationPath: "secret/x",
			AnnotationPreserveOnDelete: "true", AnnotationReconcile: "5m"},
			want: Config{Enabled: true, Path: "secret/x", PreserveOnDelete: true, ReconcileInterval: 5 * time.Minute}},
		{name: "should treat reconcile off as disabled", ann: map[string]string{AnnotationPath: "secret/x", AnnotationReconcile: "off"},
			want: Config{Enabled: true, Path: "secret/x"}},
		{name: "should reject invalid JSON with the parser's message", ann: map[string]string{AnnotationPath: "secret/x", AnnotationSecrets: `[{"name":}]`},
			errType: ErrTypeInvalidJSON, errText: "failed to parse secrets annotation: invalid character"},
		{name: "should reject an interval below 30s", ann: map[string]string{AnnotationPath: "secret/x", AnnotationReconcile: "10s"},
			errType: ErrTypeInvalidInterval, errText: `invalid reconcile interval "10s"`},
		{name: "should reject an unparsable interval", ann: map[string]string{AnnotationPath: "secret/x", AnnotationReconcile: "sometimes"},
			errType: ErrTypeInvalidInterval, errText: "invalid reconcile interval"},
		{name: "should reject a path with ..", ann: map[string]string{AnnotationPath: "secret/../sys"},
			errType: ErrTypeInvalidPath, errText: "'.' and '..' segments"},
		{name: "should reject a selection without a name", ann: map[string]string{AnnotationPath: "secret/x", AnnotationSecrets: `[{"keys":["a"]}]`},
			errType: ErrTypeInvalidSelection, errText: `has no "name"`},
		{name: "should reject unknown fields (typos)", ann: map[string]string{AnnotationPath: "secret/x", AnnotationSecrets: `[{"name":"a","key":["a"]}]`},
			errType: ErrTypeInvalidJSON, errText: `unknown field "key"`},
		{name: "should reject a Secret name that is not one (another namespace, traversal)", ann: map[string]string{AnnotationPath: "secret/x", AnnotationSecrets: `[{"name":"team-b/db"}]`},
			errType: ErrTypeInvalidSelection, errText: `"team-b/db" is not a Secret name`},
		{name: "should reject a non-boolean preserve-on-delete", ann: map[string]string{AnnotationPath: "secret/x", AnnotationPreserveOnDelete: "yes"},
			errType: ErrTypeInvalidBool, errText: "must be"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig(tc.ann)
			if tc.errType != "" {
				if err == nil || ErrorType(err) != tc.errType || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error = %v (type %s), want type %s containing %q", err, ErrorType(err), tc.errType, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got.Enabled != tc.want.Enabled || got.Path != tc.want.Path || got.PreserveOnDelete != tc.want.PreserveOnDelete ||
				got.ReconcileInterval != tc.want.ReconcileInterval || len(got.Explicit) != len(tc.want.Explicit) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got.Explicit {
				g, w := got.Explicit[i], tc.want.Explicit[i]
				if g.Name != w.Name || g.Prefix != w.Prefix || strings.Join(g.Keys, ",") != strings.Join(w.Keys, ",") {
					t.Fatalf("selection %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// FuzzParseConfig: any annotation content yields a config or a typed
// error, never a panic, and an accepted config is usable.
func FuzzParseConfig(f *testing.F) {
	f.Add("secret/data/app", `[{"name":"a","keys":["x"],"prefix":"p_"}]`, "5m", "true")
	f.Add("kv1/app", `[]`, "off", "")
	f.Add("/x", `{`, "29s", "maybe")
	f.Fuzz(func(t *testing.T, path, secrets, interval, preserve string) {
		cfg, err := ParseConfig(map[string]string{AnnotationPath: path, AnnotationSecrets: secrets,
			AnnotationReconcile: interval, AnnotationPreserveOnDelete: preserve})
		if err != nil {
			if ErrorType(err) == "unknown" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if cfg.ReconcileInterval != 0 && cfg.ReconcileInterval < MinReconcileInterval {
			t.Fatalf("accepted interval %v below minimum", cfg.ReconcileInterval)
		}
		for _, s := range cfg.Explicit {
			if s.Name == "" {
				t.Fatal("accepted a selection without name")
			}
		}
	})
}

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"", "off", "30s", "5m", "1h", "-1h", "29.9s", "1e9h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseInterval(s)
		if err == nil && d != 0 && d < MinReconcileInterval {
			t.Fatalf("ParseInterval(%q) = %v", s, d)
		}
	})
}
