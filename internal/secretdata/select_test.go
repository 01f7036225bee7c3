package secretdata

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// Values in these tests contain "SECRET-": no error message may.
const secretMark = "SECRET-"

// fetched is Vault's answer for the tests: two KV paths and a PKI issue.
func fetched() Fetched {
	return Fetched{
		"kv/data/shape/db":  {"url": "SECRET-postgres://db/app", "user": "SECRET-app", "password": "SECRET-pw", "port": 5432},
		"kv/data/shape/api": {"key": "SECRET-api-key", "extra": map[string]any{"a": "SECRET-nested"}},
		"pki/issue/web":     {"certificate": "SECRET-cert", "ca_chain": []any{"SECRET-ca1\n", "SECRET-ca2"}},
	}
}

func keyed(path, key, target string) v1alpha1.SecretRef {
	return v1alpha1.SecretRef{Path: path, Key: key, TargetKey: target}
}

// assertNoValue fails when err's message holds a secret value.
func assertNoValue(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secretMark) {
		t.Errorf("error message holds a value: %v", err)
	}
}

func TestSelectKeyedEntryCopiesOneValueUnderItsTargetKey(t *testing.T) {
	got, err := Select([]v1alpha1.SecretRef{
		keyed("kv/data/shape/db", "url", "db_url"),
		keyed("kv/data/shape/db", "port", "db_port"),
		keyed("pki/issue/web", "ca_chain", "ca.crt"),
		keyed("kv/data/shape/api", "extra", "extra.json"),
	}, fetched())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"db_url":     "SECRET-postgres://db/app",
		"db_port":    "5432",                     // numbers as JSON
		"ca.crt":     "SECRET-ca1\nSECRET-ca2\n", // a list of strings: one per line
		"extra.json": `{"a":"SECRET-nested"}`,    // objects as JSON
	}
	if len(got) != len(want) {
		t.Fatalf("got %d keys, want %d", len(got), len(want))
	}
	for _, s := range got {
		if string(s.Value) != want[s.Key] {
			t.Errorf("%s = %q, want %q", s.Key, s.Value, want[s.Key])
		}
	}
	if got[0].Source.String() != `spec.vault.secrets[0] (key "url" of kv/data/shape/db)` {
		t.Errorf("source = %s", got[0].Source)
	}
}

func TestSelectWholePathCopiesEveryKeptKeyWithThePrefix(t *testing.T) {
	for _, tc := range []struct {
		name string
		ref  v1alpha1.SecretRef
		want []string
	}{
		{"every key, sorted", v1alpha1.SecretRef{Path: "kv/data/shape/db"}, []string{"password", "port", "url", "user"}},
		{"prefix", v1alpha1.SecretRef{Path: "kv/data/shape/db", Prefix: "db_"}, []string{"db_password", "db_port", "db_url", "db_user"}},
		{"include", v1alpha1.SecretRef{Path: "kv/data/shape/db", Include: []string{"^u"}}, []string{"url", "user"}},
		{"include is unanchored", v1alpha1.SecretRef{Path: "kv/data/shape/db", Include: []string{"r"}}, []string{"password", "port", "url", "user"}},
		{"exclude", v1alpha1.SecretRef{Path: "kv/data/shape/db", Exclude: []string{"^p"}}, []string{"url", "user"}},
		{"exclude after include", v1alpha1.SecretRef{Path: "kv/data/shape/db", Include: []string{"^u", "^port$"}, Exclude: []string{"^url$"}}, []string{"port", "user"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select([]v1alpha1.SecretRef{tc.ref}, fetched())
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, s := range got {
				keys = append(keys, s.Key)
			}
			if !reflect.DeepEqual(keys, tc.want) {
				t.Errorf("keys = %v, want %v", keys, tc.want)
			}
		})
	}
}

func TestSelectErrorsNameTheEntryAndKeysButNoValue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ref     v1alpha1.SecretRef
		data    Fetched
		target  any
		wantMsg string
	}{
		{"missing key lists the keys there", keyed("kv/data/shape/db", "pass", "p"), fetched(), new(*KeyNotFoundError),
			`spec.vault.secrets[0]: key "pass" not found at vault path kv/data/shape/db (keys there: password, port, url, user)`},
		{"whole path keeping nothing", v1alpha1.SecretRef{Path: "kv/data/shape/db", Include: []string{"^zz"}}, fetched(), new(*KeyNotFoundError),
			"spec.vault.secrets[0]: no key of vault path kv/data/shape/db matches include and exclude (keys there: password, port, url, user)"},
		{"include not a regular expression", v1alpha1.SecretRef{Path: "kv/data/shape/db", Include: []string{"("}}, fetched(), new(*InvalidEntryError),
			"spec.vault.secrets[0]: include: error parsing regexp"},
		{"exclude not a regular expression", v1alpha1.SecretRef{Path: "kv/data/shape/db", Exclude: []string{"[z-a]"}}, fetched(), new(*InvalidEntryError),
			"spec.vault.secrets[0]: exclude: error parsing regexp"},
		{"vault key that is no Secret key", v1alpha1.SecretRef{Path: "kv/data/x"}, Fetched{"kv/data/x": {"my key": "SECRET-v"}}, new(*InvalidEntryError),
			`"my key" is not a valid Secret key`},
		{"path not fetched", keyed("kv/data/none", "k", "k"), fetched(), new(*InvalidEntryError),
			"vault path kv/data/none was not fetched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Select([]v1alpha1.SecretRef{tc.ref}, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantMsg)
			}
			if !errors.As(err, tc.target) {
				t.Errorf("err is %T", err)
			}
			assertNoValue(t, err)
		})
	}
}
