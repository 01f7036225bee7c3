package push

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func vaultErr(c vault.Category) error {
	return vaultOpError("write", &vault.Error{Category: c, Op: "write"})
}

func TestFailuresAreClassifiedByKind(t *testing.T) {
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "db")
	cases := []struct {
		name     string
		err      error
		reason   string
		terminal bool
	}{
		{"should wait for a missing Secret to appear", &secretReadError{name: "db", err: notFound}, v1alpha1.ReasonSecretNotFound, true},
		{"should retry a Secret that could not be read", &secretReadError{name: "db", err: errors.New("timeout")}, v1alpha1.ReasonVaultWriteFailed, false},
		{"should wait for a missing key to appear", &pushsync.KeyMissingError{Secret: "db", Key: "k"}, v1alpha1.ReasonSecretKeyMissing, true},
		{"should wait for a fixed annotation", &pushsync.ConfigError{Type: pushsync.ErrTypeInvalidJSON, Err: errors.New("bad")}, v1alpha1.ReasonInvalidConfig, true},
		{"should wait for a policy change", &policy.DeniedError{What: "vault path", Value: "x", Namespace: ns}, v1alpha1.ReasonPathNotAllowed, true},
		{"should retry a path held by another owner", vaultErr(vault.CategoryConflict), v1alpha1.ReasonVaultPathConflict, false},
		{"should retry a refused login", vaultErr(vault.CategoryAuth), v1alpha1.ReasonAuthFailed, false},
		{"should not retry an invalid path", vaultErr(vault.CategoryInvalidPath), v1alpha1.ReasonVaultWriteFailed, true},
		{"should not retry data over Vault's size limit", vaultErr(vault.CategoryTooLarge), v1alpha1.ReasonVaultWriteFailed, true},
		{"should retry an unreachable Vault", vaultErr(vault.CategoryConnection), v1alpha1.ReasonVaultWriteFailed, false},
		{"should retry a denied write (policy may be fixed)", vaultErr(vault.CategoryPermissionDenied), v1alpha1.ReasonVaultWriteFailed, false},
		{"should retry an API error", fmt.Errorf("conflict"), v1alpha1.ReasonVaultWriteFailed, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			err := w.r.failed(t.Context(), deployment("web", nil), tc.err)
			if got := errors.Is(err, reconcile.TerminalError(nil)); got != tc.terminal {
				t.Fatalf("terminal = %v, want %v", got, tc.terminal)
			}
			w.expectEvent("Warning " + tc.reason + " ")
		})
	}
}

func TestSyncFailuresEndToEnd(t *testing.T) {
	cases := []struct {
		name   string
		dep    string
		ann    map[string]string
		reason string
	}{
		{"should report a missing Secret", "a", pathAnn("secret/data/a"), "Warning SecretNotFound"},
		{"should report a missing key", "b", pathAnn("secret/data/b", pushsync.AnnotationSecrets, `[{"name":"db","keys":["nope"]}]`), "Warning SecretKeyMissing"},
		{"should report an invalid annotation", "c", pathAnn("secret/data/c", pushsync.AnnotationReconcile, "1s"), "Warning InvalidConfig"},
		{"should report a path with no KV mount", "d", pathAnn("nomount/data/d"), "Warning VaultWriteFailed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			secrets := []string{"missing"}
			if tc.dep != "a" {
				secrets = []string{"db"}
			}
			w := newWorld(t, secret("db", "user", "u"), deployment(tc.dep, tc.ann, secrets...))
			if _, err := w.reconcile(tc.dep); !errors.Is(err, reconcile.TerminalError(nil)) {
				t.Fatalf("err = %v, want terminal", err)
			}
			w.expectEvent(tc.reason)
			if len(w.vault.Writes()) != 0 {
				t.Fatalf("wrote %v", w.vault.Writes())
			}
		})
	}
}

func TestPolicyRefusesPathsOutsideTheNamespace(t *testing.T) {
	pol := &policy.Policy{Enforce: true, Static: []policy.Grant{{Namespaces: []string{"*"}, Write: []string{"secret/data/{{namespace}}/*"}}}}
	w := newWorld(t, secret("db", "user", "u"), deployment("web", pathAnn("secret/data/other-team/db"), "db"))
	w.r.Policy = pol
	if _, err := w.reconcile("web"); !errors.Is(err, reconcile.TerminalError(nil)) {
		t.Fatalf("err = %v", err)
	}
	w.expectEvent("Warning PathNotAllowed")
	if len(w.vault.Writes()) != 0 {
		t.Fatal("wrote outside the namespace")
	}
}
