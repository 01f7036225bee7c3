package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// reconcileVaultData logs in with the VaultApp's role and reads every
// distinct path once (two reads of a dynamic path would issue two different
// credentials). It returns targetKey -> value.
//
// Conditions: VaultAuthenticated, and SecretsSynced when it fails.
func (r *VaultAppReconciler) reconcileVaultData(ctx context.Context, app *appv1alpha1.VaultApp) (map[string][]byte, error) {
	if err := r.checkPolicy(app); err != nil {
		return nil, err
	}
	session := r.Vault(vault.Identity{AuthPath: app.Spec.Vault.AuthPath, Role: app.Spec.Vault.Role})
	read := map[string]*vault.SecretData{}
	out := make(map[string][]byte, len(app.Spec.Vault.Secrets))
	for _, ref := range app.Spec.Vault.Secrets {
		sec, ok := read[ref.Path]
		if !ok {
			var err error
			sec, err = session.ReadSecret(ctx, ref.Path)
			if err != nil {
				return nil, r.vaultReadFailed(app, ref.Path, err)
			}
			read[ref.Path] = sec
		}
		v, ok := sec.Data[ref.Key]
		if !ok {
			err := fmt.Errorf("key %q not found at vault path %s (keys there: %s)", ref.Key, ref.Path, strings.Join(slices.Sorted(maps.Keys(sec.Data)), ", "))
			return nil, r.syncFailed(app, appv1alpha1.ReasonKeyNotFound, err)
		}
		out[ref.TargetKey] = valueBytes(v)
	}
	setCondition(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("logged in with role %s", app.Spec.Vault.Role))
	return out, nil
}

// checkPolicy refuses, before any Vault call, a role or path the operator's
// policy does not allow for the VaultApp's namespace.
func (r *VaultAppReconciler) checkPolicy(app *appv1alpha1.VaultApp) error {
	if err := r.Policy.AllowRole(app.Namespace, r.ClusterName, app.Spec.Vault.Role); err != nil {
		metrics.PolicyDenials.WithLabelValues("role").Inc()
		setCondition(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionFalse, appv1alpha1.ReasonRoleNotAllowed, err.Error())
		return r.syncFailed(app, appv1alpha1.ReasonRoleNotAllowed, err)
	}
	for _, ref := range app.Spec.Vault.Secrets {
		if err := r.Policy.AllowPath(app.Namespace, r.ClusterName, ref.Path); err != nil {
			metrics.PolicyDenials.WithLabelValues("path").Inc()
			return r.syncFailed(app, appv1alpha1.ReasonPathNotAllowed, err)
		}
	}
	return nil
}

// vaultReadFailed sets the conditions for a failed read and returns err.
func (r *VaultAppReconciler) vaultReadFailed(app *appv1alpha1.VaultApp, path string, err error) error {
	metrics.VaultAppReadErrors.WithLabelValues(string(vault.CategoryOf(err))).Inc()
	role := app.Spec.Vault.Role
	switch vault.CategoryOf(err) {
	case vault.CategoryAuth:
		err = fmt.Errorf("failed to authenticate with vault as role %s: %w (check that the role exists at auth/%s and binds the operator's service account)", role, err, authPathOr(app.Spec.Vault.AuthPath))
		setCondition(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionFalse, appv1alpha1.ReasonAuthFailed, err.Error())
		return r.syncFailed(app, appv1alpha1.ReasonAuthFailed, err)
	case vault.CategoryConnection, vault.CategoryUnavailable:
		return r.syncFailed(app, appv1alpha1.ReasonVaultUnavailable, fmt.Errorf("failed to read %s: %w", path, err))
	}
	setCondition(app, appv1alpha1.ConditionVaultAuthenticated, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("logged in with role %s", role))
	switch vault.CategoryOf(err) {
	case vault.CategoryPermissionDenied:
		return r.syncFailed(app, appv1alpha1.ReasonPermissionDenied,
			fmt.Errorf("failed to read %s: %w (the policies of role %s must allow read on it)", path, err, role))
	case vault.CategoryNotFound:
		if strings.Contains(err.Error(), "deleted or destroyed") {
			return r.syncFailed(app, appv1alpha1.ReasonSecretDeleted,
				fmt.Errorf("failed to read %s: %w; the last good Secret is kept", path, err))
		}
		return r.syncFailed(app, appv1alpha1.ReasonPathNotFound, fmt.Errorf("failed to read %s: nothing is stored at this path", path))
	}
	return r.syncFailed(app, appv1alpha1.ReasonPathNotFound, fmt.Errorf("failed to read %s: %w", path, err))
}

// syncFailed records SecretsSynced=False with reason and a warning event
// with the same reason and message.
func (r *VaultAppReconciler) syncFailed(app *appv1alpha1.VaultApp, reason string, err error) error {
	setCondition(app, appv1alpha1.ConditionSecretsSynced, metav1.ConditionFalse, reason, err.Error())
	r.Recorder.Eventf(app, corev1.EventTypeWarning, reason, "%s", truncate(err.Error(), 1000))
	return err
}

// valueBytes renders a Vault value as Secret bytes: strings as they are,
// anything else (numbers, booleans, objects) as JSON.
func valueBytes(v any) []byte {
	if s, ok := v.(string); ok {
		return []byte(s)
	}
	b, _ := json.Marshal(v)
	return b
}

func authPathOr(p string) string {
	if p == "" {
		return "kubernetes"
	}
	return p
}
