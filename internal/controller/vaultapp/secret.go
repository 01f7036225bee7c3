package vaultapp

import (
	"bytes"
	"context"
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

// reconcileSecret keeps <name>-vault-secrets equal to the data read from
// Vault, with the record of the dynamic secrets behind it. It writes only
// when something differs, so an unchanged Vault (or an operator restart)
// changes nothing. The finalizer that revokes leases is in place before a
// Secret holding leases is written. When Vault failed it keeps the last
// good Secret and does nothing.
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
	if err := r.applySecret(ctx, app, p.prev, vd.data, vd.record); err != nil {
		r.revokeFresh(ctx, vd)
		err = fmt.Errorf("failed to write secret %s: %w", name, err)
		mark(app, appv1alpha1.ConditionSecretsSynced, metav1.ConditionFalse, appv1alpha1.ReasonSecretWriteFailed, err.Error())
		return ctrl.Result{}, err
	}
	p.version = dataVersion(r.Key, vd.data)
	if app.Status.SecretVersion != p.version {
		now := metav1.Now()
		app.Status.LastSecretUpdateTime = &now
		if app.Status.SecretVersion != "" {
			r.Events.Normal(app, appv1alpha1.ReasonSecretRotated, fmt.Sprintf("secret %s updated from vault (version %s)", name, p.version))
		}
	}
	app.Status.SecretName = name
	app.Status.SecretVersion = p.version
	mark(app, appv1alpha1.ConditionSecretsSynced, metav1.ConditionTrue, appv1alpha1.ReasonSucceeded,
		fmt.Sprintf("%d key(s) from vault in secret %s", len(vd.data), name))
	r.recordLeases(ctx, app, vd)
	metrics.VaultAppSyncs.WithLabelValues(app.Namespace, app.Name, "success").Inc()
	metrics.VaultAppLastSuccess.WithLabelValues(app.Namespace, app.Name).SetToCurrentTime()
	return ctrl.Result{}, nil
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

// applySecret writes the Secret server-side when its data, lease record,
// labels or owner differ from what they should be.
func (r *Reconciler) applySecret(ctx context.Context, app *appv1alpha1.VaultApp, existing *corev1.Secret, data map[string][]byte, rec lease.Record) error {
	ann := rec.Seal(r.Key, string(app.UID))
	want := desired.Secret(app, data, nil)
	if ann != "" {
		want.Annotations = map[string]string{lease.Annotation: ann}
	}
	if existing != nil && maps.EqualFunc(existing.Data, data, bytes.Equal) && kube.ControlledBy(existing, app) &&
		desired.HasLabels(existing, want.Labels) && existing.Annotations[lease.Annotation] == ann {
		return nil
	}
	if err := kube.Apply(ctx, r.Client, want); err != nil {
		return err
	}
	r.leases.SetWritten(client.ObjectKeyFromObject(want), ann)
	return nil
}

// dataVersion is the hash put in the pod template annotation and the
// status: it changes exactly when the Secret's content changes. It is
// keyed, so readers of the Deployment or the VaultApp (`view`) cannot
// confirm a guessed value with it.
func dataVersion(key mac.Key, data map[string][]byte) string {
	parts := make([][]byte, 0, 1+2*len(data))
	parts = append(parts, []byte("secret-version/v1"))
	for _, k := range slices.Sorted(maps.Keys(data)) {
		parts = append(parts, []byte(k), data[k])
	}
	return key.Digest(parts...)
}
