package vaultapp

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/identity"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// checkPolicy refuses, before any Vault call, a role or path the operator's
// policy does not allow for the VaultApp's namespace.
func (r *Reconciler) checkPolicy(ctx context.Context, app *appv1alpha1.VaultApp) error {
	id := r.Identities.ForVaultApp(app)
	if err := r.Policy.AllowRole(ctx, app.Namespace, id.AuthPath, id.Role); err != nil {
		metrics.PolicyDenials.WithLabelValues("role").Inc()
		mark(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionFalse, appv1alpha1.ReasonRoleNotAllowed, err.Error())
		return r.fail(ctx, app, appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonRoleNotAllowed, err)
	}
	for _, path := range distinctPaths(app) {
		access := policy.Read
		if issueFor(app, path) != nil {
			access = policy.Write // issuing is a write, whatever the engine does with it
		}
		if err := r.Policy.AllowPath(ctx, app.Namespace, path, access); err != nil {
			metrics.PolicyDenials.WithLabelValues("path").Inc()
			return r.fail(ctx, app, appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonPathNotAllowed, err)
		}
	}
	return nil
}

// vaultReadFailed sets the conditions for a failed read of path and
// returns the error, worded to say what to fix.
func (r *Reconciler) vaultReadFailed(ctx context.Context, app *appv1alpha1.VaultApp, path string, err error) error {
	metrics.VaultAppReadErrors.WithLabelValues(string(vault.CategoryOf(err))).Inc()
	role := app.Spec.Vault.Role
	switch vault.CategoryOf(err) {
	case vault.CategoryAuth:
		err = fmt.Errorf("failed to authenticate with vault as role %s: %w (check that the role exists at auth/%s and binds %s)", role, err, r.authPathOf(app), r.whoLogsIn(app))
		mark(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionFalse, appv1alpha1.ReasonAuthFailed, err.Error())
		return r.fail(ctx, app, appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonAuthFailed, err)
	case vault.CategoryConnection, vault.CategoryUnavailable:
		return r.fail(ctx, app, appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonVaultUnavailable, fmt.Errorf("failed to read %s: %w", path, err))
	}
	mark(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded, fmt.Sprintf("logged in with role %s", role))
	reason, err := readFailure(app, path, err)
	return r.fail(ctx, app, appv1alpha1.ConditionSecretsSynced, reason, err)
}

// readFailure words a read that failed after a successful login.
func readFailure(app *appv1alpha1.VaultApp, path string, err error) (string, error) {
	switch vault.CategoryOf(err) {
	case vault.CategoryPermissionDenied:
		return appv1alpha1.ReasonPermissionDenied,
			fmt.Errorf("failed to read %s: %w (the policies of role %s must allow read on it)", path, err, app.Spec.Vault.Role)
	case vault.CategoryNotFound:
		if strings.Contains(err.Error(), "deleted or destroyed") {
			return appv1alpha1.ReasonSecretDeleted, fmt.Errorf("failed to read %s: %w; the last good Secret is kept", path, err)
		}
		return appv1alpha1.ReasonPathNotFound, fmt.Errorf("failed to read %s: nothing is stored at this path", path)
	}
	return appv1alpha1.ReasonPathNotFound, fmt.Errorf("failed to read %s: %w", path, err)
}

// leaseFailed reports a failed lease look-up or renewal; the current
// credentials stay in place.
func (r *Reconciler) leaseFailed(ctx context.Context, app *appv1alpha1.VaultApp, path string, err error) error {
	err = fmt.Errorf("failed to renew the lease of %s: %w; the current credentials are kept", path, err)
	return r.fail(ctx, app, appv1alpha1.ConditionLeasesHealthy, appv1alpha1.ReasonLeaseRenewalFailed, err)
}

// whoLogsIn names the service account Vault sees, for error messages.
func (r *Reconciler) whoLogsIn(app *appv1alpha1.VaultApp) string {
	return identity.Describe(r.Identities.ForVaultApp(app))
}

// authPathOf is the auth mount app logs in at, for error messages.
func (r *Reconciler) authPathOf(app *appv1alpha1.VaultApp) string {
	switch {
	case app.Spec.Vault.AuthPath != "":
		return app.Spec.Vault.AuthPath
	case app.Spec.Vault.AuthMethod != "":
		return app.Spec.Vault.AuthMethod
	}
	return "kubernetes"
}

func resultOf(err error) string {
	if err == nil {
		return "success"
	}
	if c := vault.CategoryOf(err); c != "" {
		return string(c)
	}
	return "error"
}
