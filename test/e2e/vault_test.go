package e2e

import "testing"

func TestReadPolicyGrantsReadAndMountLookup(t *testing.T) {
	got := ReadPolicy("kv/*", "kv1/*")
	want := `path "kv/*" { capabilities = ["read"] }` + "\n" + `path "kv1/*" { capabilities = ["read"] }` + "\n" + mountLookup
	if got != want {
		t.Errorf("ReadPolicy:\n%s\nwant:\n%s", got, want)
	}
}
