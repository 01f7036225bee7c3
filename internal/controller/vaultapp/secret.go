package vaultapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/desired"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretdata"
)

// currentSecret is the VaultApp's Secret (nil if none). It comes from the
// cache, unless the cache has not yet seen the lease record this process
// last wrote: deciding on a stale record would issue credentials twice.
func (r *Reconciler) currentSecret(ctx context.Context, app *appv1alpha1.VaultApp) (*corev1.Secret, error) {
	var s corev1.Secret
	key := client.ObjectKey{Namespace: app.Namespace, Name: appv1alpha1.SecretNameFor(app.Name)}
	err := r.Client.Get(ctx, key, &s)
	if want, ok := r.leases.Written(key); ok && r.APIReader != nil && (err != nil || s.Annotations[lease.Annotation] != want) {
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

// reconcileSecret keeps <name>-vault-secrets equal to the data built from
// Vault, with the record of the dynamic secrets behind it. It writes only
// when something differs, so an unchanged Vault (or an operator restart)
// changes nothing; a hand edit or deletion is repaired (DriftRepaired). The
// finalizer that revokes leases is in place before a Secret holding leases
// is written. When Vault failed it keeps the last good Secret and does
// nothing.
//
// Conditions: SecretsSynced, LeasesHealthy.
func (r *Reconciler) reconcileSecret(ctx context.Context, p *pass) (ctrl.Result, error) {
	if p.vd == nil {
		return ctrl.Result{}, nil
	}
	app, vd := p.app, p.vd
	if vd.holdsLeases() {
		if err := r.ensureRevokeFinalizer(ctx, app); err != nil {
			r.revokeFresh(ctx, vd)
			return ctrl.Result{}, err
		}
	}
	name := appv1alpha1.SecretNameFor(app.Name)
	if err := r.claimSecret(ctx, app, p.prev); err != nil {
		r.revokeFresh(ctx, vd)
		if conflict := (*nameConflict)(nil); errors.As(err, &conflict) {
			return r.conflicted(ctx, app, appv1alpha1.ConditionSecretsSynced, err), nil
		}
		return ctrl.Result{}, err
	}
	want := r.desiredSecret(app, vd)
	drift := r.driftOf(app, p.prev, want)
	if err := r.applySecret(ctx, app, p.prev, want); err != nil {
		r.revokeFresh(ctx, vd)
		err = fmt.Errorf("failed to write secret %s: %w", name, err)
		mark(app, appv1alpha1.ConditionSecretsSynced, metav1.ConditionFalse, appv1alpha1.ReasonSecretWriteFailed, err.Error())
		return ctrl.Result{}, err
	}
	if err := r.removeForeignKeys(ctx, want, drift.added); err != nil {
		return ctrl.Result{}, err
	}
	r.reportDrift(app, drift)
	r.recordVersions(app, p, dataVersion(r.Key, app, vd.data), sourceVersion(r.Key, app, vd.fetched))
	mark(app, appv1alpha1.ConditionSecretsSynced, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("%d key(s) from vault in secret %s", len(vd.data), name))
	r.recordLeases(ctx, app, vd)
	metrics.VaultAppSyncs.WithLabelValues(app.Namespace, app.Name, "success").Inc()
	metrics.VaultAppLastSuccess.WithLabelValues(app.Namespace, app.Name).SetToCurrentTime()
	if req, ok := app.PendingRefreshRequest(); ok {
		app.Status.LastHandledRefreshRequest = req // Vault was re-read: the request is done
	}
	return ctrl.Result{}, nil
}

// recordVersions puts the data's version in the status and says why the
// pods will roll, if they will: the values read from Vault changed, or only
// what the templates make of them. The SecretRotated event is for the
// reconcile that changed the data: a status read from a cache that lags
// the operator's own last write (the Secret already held this version)
// announces nothing new.
func (r *Reconciler) recordVersions(app *appv1alpha1.VaultApp, p *pass, version, source string) {
	if app.Status.SecretVersion != version {
		now := metav1.Now()
		app.Status.LastSecretUpdateTime = &now
		if app.Status.SecretVersion != "" {
			p.rolloutReason = rolloutDataChanged
			if app.Status.SourceVersion == source {
				p.rolloutReason = rolloutTemplateChanged
			}
			if p.prev == nil || dataVersion(r.Key, app, p.prev.Data) != version {
				r.Events.Normal(app, appv1alpha1.ReasonSecretRotated, fmt.Sprintf("secret %s updated (version %s): %s",
					appv1alpha1.SecretNameFor(app.Name), version, rolloutWhy[p.rolloutReason]))
			}
		}
	}
	p.version = version
	app.Status.SecretName = appv1alpha1.SecretNameFor(app.Name)
	app.Status.SecretVersion, app.Status.SourceVersion = version, source
}

// claimSecret checks that the Secret may be written: the one the cache
// has (it carries the operator's labels, which anyone may set) must be the
// app's; when the cache has none, an unlabelled one may exist.
func (r *Reconciler) claimSecret(ctx context.Context, app *appv1alpha1.VaultApp, prev *corev1.Secret) error {
	if prev != nil {
		return mayWrite(app, "Secret", prev)
	}
	key := client.ObjectKey{Namespace: app.Namespace, Name: appv1alpha1.SecretNameFor(app.Name)}
	found, err := r.existing(ctx, key, &corev1.Secret{})
	if err != nil || found == nil {
		return err
	}
	return mayWrite(app, "Secret", found)
}

// desiredSecret is the Secret for the data of vd, with its sealed lease record.
func (r *Reconciler) desiredSecret(app *appv1alpha1.VaultApp, vd *vaultData) *corev1.Secret {
	var own map[string]string
	if ann := vd.record.Seal(r.Key, string(app.UID)); ann != "" {
		own = map[string]string{lease.Annotation: ann}
	}
	return desired.Secret(app, vd.data, own)
}

// applySecret writes want server-side unless the existing Secret already
// is so (a changed spec is always applied: it may remove labels). A
// Secret's type cannot change: the Secret is deleted and created anew.
func (r *Reconciler) applySecret(ctx context.Context, app *appv1alpha1.VaultApp, existing, want *corev1.Secret) error {
	ann := want.Annotations[lease.Annotation]
	if existing != nil && kube.ControlledBy(existing, app) && desired.SecretUpToDate(want, existing) &&
		existing.Annotations[lease.Annotation] == ann && app.Generation == app.Status.ObservedGeneration {
		return nil
	}
	if existing != nil && existing.Type != want.Type && kube.ControlledBy(existing, app) {
		if err := r.Client.Delete(ctx, existing, client.Preconditions{UID: &existing.UID}); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	if err := kube.Apply(ctx, r.Client, want); err != nil {
		return err
	}
	r.leases.SetWritten(client.ObjectKeyFromObject(want), ann)
	return nil
}

// dataVersion is the hash put in the pod template annotation and the
// status: it changes exactly when the Secret's content changes. It is
// keyed, and bound to the VaultApp, so readers of the Deployment or the
// VaultApp (`view`) cannot confirm a guessed value with it, not even by
// making a VaultApp of their own hold the guess.
func dataVersion(key mac.Key, app *appv1alpha1.VaultApp, data map[string][]byte) string {
	parts := make([][]byte, 0, 2+2*len(data))
	parts = append(parts, []byte("secret-version/v2"), []byte(app.UID))
	for _, k := range slices.Sorted(maps.Keys(data)) {
		parts = append(parts, []byte(k), data[k])
	}
	return key.Digest(parts...)
}

// sourceVersion is a keyed hash of the values read from Vault, bound to
// the VaultApp like dataVersion.
func sourceVersion(key mac.Key, app *appv1alpha1.VaultApp, fetched secretdata.Fetched) string {
	b, _ := json.Marshal(fetched) // maps marshal with sorted keys: canonical
	return key.Digest([]byte("source-version/v2"), []byte(app.UID), b)
}
