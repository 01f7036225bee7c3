package push

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// failure is how one kind of error is reported and retried.
type failure struct {
	// matches tells whether err is of this kind.
	matches func(err error) bool
	reason  string
	// terminal errors are not retried: only a change of the Deployment,
	// its Secrets (the watch wakes it) or the policy fixes them.
	terminal bool
	// count increments the error's metric.
	count func(dep *appsv1.Deployment, err error)
}

// failures classify sync errors; the first match wins.
var failures = []failure{
	{matches: isSecretNotFound, reason: v1alpha1.ReasonSecretNotFound, terminal: true,
		count: func(d *appsv1.Deployment, _ error) { metrics.SecretNotFound.WithLabelValues(d.Namespace).Inc() }},
	{matches: is[*pushsync.KeyMissingError], reason: v1alpha1.ReasonSecretKeyMissing, terminal: true,
		count: func(d *appsv1.Deployment, _ error) { metrics.SecretKeyMissing.WithLabelValues(d.Namespace).Inc() }},
	{matches: is[*pushsync.ConfigError], reason: v1alpha1.ReasonInvalidConfig, terminal: true,
		count: func(_ *appsv1.Deployment, err error) {
			metrics.ConfigParseErrors.WithLabelValues(pushsync.ErrorType(err)).Inc()
		}},
	{matches: is[*policy.DeniedError], reason: v1alpha1.ReasonPathNotAllowed, terminal: true,
		count: func(*appsv1.Deployment, error) { metrics.PolicyDenials.WithLabelValues("path").Inc() }},
	// The other owner may release the path: retried with backoff.
	{matches: category(vault.CategoryConflict), reason: v1alpha1.ReasonVaultPathConflict, count: countVault},
	{matches: category(vault.CategoryAuth), reason: v1alpha1.ReasonAuthFailed, count: countVault},
	{matches: category(vault.CategoryInvalidPath, vault.CategoryTooLarge), reason: v1alpha1.ReasonVaultWriteFailed, terminal: true, count: countVault},
	{matches: func(err error) bool { return vault.CategoryOf(err) != "" }, reason: v1alpha1.ReasonVaultWriteFailed, count: countVault},
}

// failed reports err as an event, a log line and metrics, and decides the
// retry: inputs the Secret watch or a new Deployment version will fix are
// terminal (no retry loop); Vault and API errors back off and retry.
func (r *Reconciler) failed(ctx context.Context, dep *appsv1.Deployment, err error) error {
	metrics.SyncAttempts.WithLabelValues(dep.Namespace, "error").Inc()
	f := classify(err)
	if f.count != nil {
		f.count(dep, err)
	}
	r.Events.Warning(ctx, dep, f.reason, err)
	if f.terminal {
		return reconcile.TerminalError(err)
	}
	return err
}

// classify finds the failure kind of err (Kubernetes API errors and
// anything unknown: a retried VaultWriteFailed).
func classify(err error) failure {
	for _, f := range failures {
		if f.matches(err) {
			return f
		}
	}
	return failure{reason: v1alpha1.ReasonVaultWriteFailed}
}

func countVault(_ *appsv1.Deployment, err error) {
	metrics.VaultWriteErrors.WithLabelValues(string(vault.CategoryOf(err))).Inc()
}

func is[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

func category(cs ...vault.Category) func(error) bool {
	return func(err error) bool {
		for _, c := range cs {
			if vault.IsCategory(err, c) {
				return true
			}
		}
		return false
	}
}

func isSecretNotFound(err error) bool {
	var sre *secretReadError
	return errors.As(err, &sre) && apierrors.IsNotFound(sre.err)
}

// secretReadError is a failure to read a referenced Secret.
type secretReadError struct {
	name string
	err  error
}

func (e *secretReadError) Error() string {
	msg := fmt.Sprintf("failed to get secret %s: %v", e.name, e.err)
	if apierrors.IsNotFound(e.err) {
		msg += " (if a generator such as kustomize's secretGenerator, a CSI driver or another operator creates it, it may not exist yet; the sync runs as soon as it appears)"
	}
	return msg
}

func (e *secretReadError) Unwrap() error { return e.err }

// vaultOpError puts the user-facing prefix on a Vault failure.
func vaultOpError(op string, err error) error {
	if vault.IsCategory(err, vault.CategoryAuth) {
		return fmt.Errorf("failed to authenticate with vault: %w", err)
	}
	if op == "read" {
		return fmt.Errorf("failed to read secret from vault: %w", err)
	}
	return fmt.Errorf("failed to %s secret to vault: %w", op, err)
}
