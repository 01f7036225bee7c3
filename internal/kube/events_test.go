package kube

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
)

func TestTruncate(t *testing.T) {
	cases := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"should keep a short message", "short", 10, "short"},
		{"should keep a message of exactly the limit", "0123456789", 10, "0123456789"},
		{"should cut a long message and mark the cut within the limit", "0123456789ab", 10, "0123456..."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Truncate(tc.in, tc.n); got != tc.want {
				t.Fatalf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}

func TestEventsRecordWarningsAndNormalEvents(t *testing.T) {
	rec := record.NewFakeRecorder(10)
	e := Events{Recorder: rec}
	obj := &corev1.Secret{}
	e.Warning(t.Context(), obj, "VaultWriteFailed", errors.New("permission denied (path \"secret/data/x\")"))
	e.Normal(obj, "Synced", strings.Repeat("x", 2000))
	e.Warning(t.Context(), obj, "VaultWriteFailed", errors.New("100% done %s")) // no format verbs interpreted

	want := []string{`Warning VaultWriteFailed permission denied (path "secret/data/x")`,
		"Normal Synced " + strings.Repeat("x", maxMessage-3) + "...",
		"Warning VaultWriteFailed 100% done %s"}
	for _, w := range want {
		if got := <-rec.Events; got != w {
			t.Fatalf("event = %.80q..., want %.80q...", got, w)
		}
	}
}
