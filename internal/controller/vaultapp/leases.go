package vaultapp

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
)

// recordLeases puts the dynamic secrets of a stored sync into the status,
// metrics and events, and keeps the VaultApp registered as a holder of its
// Vault identity's leases.
//
// Conditions: LeasesHealthy (removed when the app has no dynamic secrets).
func (r *Reconciler) recordLeases(ctx context.Context, app *appv1alpha1.VaultApp, vd *vaultData) {
	key := types.NamespacedName{Namespace: app.Namespace, Name: app.Name}
	app.Status.Leases = vd.leases
	app.Status.RetiringLeases = mergeRetiring(app.Status.RetiringLeases, vd)
	r.release(ctx, r.leases.SetHolder(vd.client.Identity(), key, vd.holdsLeases()))
	if len(vd.leases) == 0 {
		metrics.SetLeases(app.Namespace, app.Name, 0, time.Time{})
		meta.RemoveStatusCondition(&app.Status.Conditions, appv1alpha1.ConditionLeasesHealthy)
		return
	}
	nearest := vd.leases[0].ExpireTime.Time
	for _, st := range vd.leases[1:] {
		if st.ExpireTime.Before(&metav1.Time{Time: nearest}) {
			nearest = st.ExpireTime.Time
		}
	}
	metrics.SetLeases(app.Namespace, app.Name, len(vd.leases), nearest)
	rotated := slices.Sorted(maps.Keys(vd.rotated))
	for _, path := range rotated {
		r.Events.Normal(app, appv1alpha1.ReasonCredentialsRotated, fmt.Sprintf(
			"new credentials from %s: %s; the replaced ones are revoked after the new ones are rolled out and the grace period", path, lease.Why[vd.rotated[path]]))
	}
	msg := fmt.Sprintf("%d dynamic secret(s) valid; nearest expiry %s", len(vd.leases), nearest.UTC().Format(time.RFC3339))
	if len(rotated) > 0 {
		parts := make([]string, len(rotated))
		for i, path := range rotated {
			parts[i] = path + " (" + vd.rotated[path] + ")"
		}
		msg += fmt.Sprintf("; last rotation: %s at %s", strings.Join(parts, ", "), time.Now().UTC().Format(time.RFC3339))
	} else if old := meta.FindStatusCondition(app.Status.Conditions, appv1alpha1.ConditionLeasesHealthy); old != nil && old.Reason == appv1alpha1.ReasonLeasesValid {
		// keep the last rotation in the message until the next one
		if i := strings.Index(old.Message, "; last rotation: "); i >= 0 {
			msg += old.Message[i:]
		}
	}
	mark(app, appv1alpha1.ConditionLeasesHealthy, metav1.ConditionTrue, appv1alpha1.ReasonLeasesValid, msg)
}

// mergeRetiring is the status of the record's retiring leases: timing kept
// from the old status, new entries from this sync.
func mergeRetiring(old []appv1alpha1.RetiringLease, vd *vaultData) []appv1alpha1.RetiringLease {
	var out []appv1alpha1.RetiringLease
	for _, id := range vd.record.Retiring {
		e := appv1alpha1.RetiringLease{LeaseID: id}
		if i := slices.IndexFunc(old, func(o appv1alpha1.RetiringLease) bool { return o.LeaseID == id }); i >= 0 {
			e = old[i]
		} else if i := slices.IndexFunc(vd.retiring, func(o appv1alpha1.RetiringLease) bool { return o.LeaseID == id }); i >= 0 {
			e = vd.retiring[i]
		}
		out = append(out, e)
	}
	return out
}
