package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
)

// finalize revokes a deleted VaultApp's leases (current and retiring, from
// the Secret's record and the status, whichever still exists), then lets it
// go. A failed revocation keeps the finalizer and is retried with backoff,
// so no lease is orphaned silently. With spec.vault.leases.revokeOnDelete
// false the leases are left to expire.
func (r *VaultAppReconciler) finalize(ctx context.Context, app *appv1alpha1.VaultApp) error {
	if !controllerutil.ContainsFinalizer(app, appv1alpha1.RevokeLeasesFinalizer) {
		return nil
	}
	if revokesOnDelete(app) {
		if err := r.revokeAll(ctx, app); err != nil {
			r.Recorder.Eventf(app, corev1.EventTypeWarning, appv1alpha1.ReasonLeaseRevokeFailed, "%s", truncate(err.Error(), 1000))
			return err
		}
	} else {
		for _, st := range app.Status.Leases {
			r.leases.forget(st.LeaseID) // left to expire; nothing to remember
		}
	}
	key := types.NamespacedName{Namespace: app.Namespace, Name: app.Name}
	r.leases.setHolder(r.identityOf(app), key, false)
	metrics.SetLeases(app.Namespace, app.Name, 0, time.Time{})
	orig := app.DeepCopy()
	controllerutil.RemoveFinalizer(app, appv1alpha1.RevokeLeasesFinalizer)
	return client.IgnoreNotFound(r.Client.Patch(ctx, app, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})))
}

func (r *VaultAppReconciler) revokeAll(ctx context.Context, app *appv1alpha1.VaultApp) error {
	sec, err := r.currentSecret(ctx, app)
	if err != nil {
		return err
	}
	ids := readLeaseRecord(sec).leaseIDs()
	for _, st := range app.Status.Leases {
		ids = append(ids, st.LeaseID)
	}
	for _, rl := range app.Status.RetiringLeases {
		ids = append(ids, rl.LeaseID)
	}
	slices.Sort(ids)
	session := r.Vault(r.identityOf(app))
	var failed []string
	for _, id := range slices.Compact(ids) {
		if id == "" {
			continue
		}
		err := session.RevokeLease(ctx, id)
		metrics.LeaseRevocations.WithLabelValues(resultOf(err)).Inc()
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		r.leases.forget(id)
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed to revoke the leases of deleted VaultApp %s/%s: %s; the finalizer %s stays until they are revoked (or set spec.vault.leases.revokeOnDelete: false)",
			app.Namespace, app.Name, strings.Join(failed, "; "), appv1alpha1.RevokeLeasesFinalizer)
	}
	return nil
}
