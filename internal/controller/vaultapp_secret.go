package controller

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// currentSecret is the VaultApp's Secret (nil if none). It comes from the
// cache, unless the cache has not yet seen the lease record this process
// last wrote: deciding on a stale record would issue credentials twice.
func (r *VaultAppReconciler) currentSecret(ctx context.Context, app *appv1alpha1.VaultApp) (*corev1.Secret, error) {
	var s corev1.Secret
	key := client.ObjectKey{Namespace: app.Namespace, Name: appv1alpha1.SecretNameFor(app.Name)}
	err := r.Client.Get(ctx, key, &s)
	if want, ok := r.leases.written(key); ok && r.APIReader != nil && (err != nil || s.Annotations[leasesAnnotation] != want) {
		err = r.APIReader.Get(ctx, key, &s)
	}
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// reconcileSecret keeps <name>-vault-secrets equal to data, with the record
// of the dynamic secrets behind it, and returns the data's version hash. It
// writes only when something differs, so an unchanged Vault (or an
// operator restart) changes nothing.
//
// Conditions: SecretsSynced.
func (r *VaultAppReconciler) reconcileSecret(ctx context.Context, app *appv1alpha1.VaultApp, existing *corev1.Secret, data map[string][]byte, rec leaseRecord) (string, error) {
	name := appv1alpha1.SecretNameFor(app.Name)
	version := dataVersion(data)
	if err := r.applySecret(ctx, app, existing, data, rec); err != nil {
		err = fmt.Errorf("failed to write secret %s: %w", name, err)
		setCondition(app, appv1alpha1.ConditionSecretsSynced, metav1.ConditionFalse, appv1alpha1.ReasonSecretWriteFailed, err.Error())
		return "", err
	}
	if app.Status.SecretVersion != version {
		now := metav1.Now()
		app.Status.LastSecretUpdateTime = &now
		if app.Status.SecretVersion != "" {
			r.Recorder.Eventf(app, corev1.EventTypeNormal, "SecretRotated", "secret %s updated from vault (version %s)", name, version)
		}
	}
	app.Status.SecretName = name
	app.Status.SecretVersion = version
	setCondition(app, appv1alpha1.ConditionSecretsSynced, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("%d key(s) from vault in secret %s", len(data), name))
	return version, nil
}

// applySecret writes the Secret server-side when its data, lease record,
// labels or owner differ from what they should be.
func (r *VaultAppReconciler) applySecret(ctx context.Context, app *appv1alpha1.VaultApp, existing *corev1.Secret, data map[string][]byte, rec leaseRecord) error {
	ann := rec.annotation()
	if existing != nil && sameSecretData(existing.Data, data) && ownedBy(existing, app) &&
		existing.Labels[appv1alpha1.ManagedByLabel] == appv1alpha1.ManagedByValue &&
		existing.Annotations[leasesAnnotation] == ann {
		return nil
	}
	ac := corev1ac.Secret(appv1alpha1.SecretNameFor(app.Name), app.Namespace).
		WithLabels(managedLabels(app)).
		WithOwnerReferences(ownerRef(app)).
		WithType(corev1.SecretTypeOpaque).
		WithData(data)
	if ann != "" {
		ac = ac.WithAnnotations(map[string]string{leasesAnnotation: ann})
	}
	if err := r.Client.Apply(ctx, ac, FieldOwner, client.ForceOwnership); err != nil {
		return err
	}
	r.leases.setWritten(client.ObjectKey{Namespace: app.Namespace, Name: appv1alpha1.SecretNameFor(app.Name)}, ann)
	return nil
}

// dataVersion is the hash put in the pod template annotation: it changes
// exactly when the Secret's content changes.
func dataVersion(data map[string][]byte) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(h, "%d:%s%d:", len(k), k, len(data[k]))
		h.Write(data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func sameSecretData(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}
