package vaultapp

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// finalize revokes a deleted VaultApp's leases (current and retiring, from
// the Secret's record and the status, whichever still exists), then lets it
// go. A failed revocation keeps the finalizer and is retried with backoff,
// so no lease is orphaned silently. With spec.vault.leases.revokeOnDelete
// false the leases are left to expire.
func (r *Reconciler) finalize(ctx context.Context, app *appv1alpha1.VaultApp) error {
	if !controllerutil.ContainsFinalizer(app, appv1alpha1.RevokeLeasesFinalizer) {
		return nil
	}
	if revokesOnDelete(app) {
		if err := r.revokeAll(ctx, app); err != nil {
			r.Events.Warning(ctx, app, appv1alpha1.ReasonLeaseRevokeFailed, err)
			return err
		}
	} else {
		for _, st := range app.Status.Leases {
			r.leases.Forget(st.LeaseID) // left to expire; nothing to remember
		}
	}
	r.release(ctx, r.leases.SetHolder(r.Identities.ForVaultApp(app), types.NamespacedName{Namespace: app.Namespace, Name: app.Name}, false))
	metrics.SetLeases(app.Namespace, app.Name, 0, time.Time{})
	return kube.SetFinalizer(ctx, r.Client, app, appv1alpha1.RevokeLeasesFinalizer, false)
}

// revokeAll revokes every lease the app's Secret or status names.
func (r *Reconciler) revokeAll(ctx context.Context, app *appv1alpha1.VaultApp) error {
	sec, err := r.currentSecret(ctx, app)
	if err != nil {
		return err
	}
	rec, _ := lease.ReadRecord(sec, r.Key, string(app.UID))
	ids := rec.IDs()
	for _, st := range app.Status.Leases {
		if lease.BelongsTo(st.LeaseID, st.Path) {
			ids = append(ids, st.LeaseID)
		}
	}
	for _, rl := range app.Status.RetiringLeases {
		if vault.ValidateLeaseID(rl.LeaseID) == nil {
			ids = append(ids, rl.LeaseID)
		}
	}
	slices.Sort(ids)
	client := r.Vault(r.Identities.ForVaultApp(app))
	var failed []string
	for _, id := range slices.Compact(ids) {
		if id == "" {
			continue
		}
		err := client.RevokeLease(ctx, id)
		metrics.LeaseRevocations.WithLabelValues(resultOf(err)).Inc()
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		r.leases.Forget(id)
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed to revoke the leases of deleted VaultApp %s/%s: %s; the finalizer %s stays until they are revoked (or set spec.vault.leases.revokeOnDelete: false)",
			app.Namespace, app.Name, strings.Join(failed, "; "), appv1alpha1.RevokeLeasesFinalizer)
	}
	return nil
}

// revokesOnDelete tells whether the app's leases are revoked when it goes.
func revokesOnDelete(app *appv1alpha1.VaultApp) bool {
	l := app.Spec.Vault.Leases
	return l == nil || l.RevokeOnDelete == nil || *l.RevokeOnDelete
}

// ensureRevokeFinalizer adds the finalizer that revokes the app's leases on
// deletion, before the first lease is stored.
func (r *Reconciler) ensureRevokeFinalizer(ctx context.Context, app *appv1alpha1.VaultApp) error {
	if !revokesOnDelete(app) {
		return nil
	}
	return kube.SetFinalizer(ctx, r.Client, app, appv1alpha1.RevokeLeasesFinalizer, true)
}
