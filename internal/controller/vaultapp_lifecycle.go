package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
)

// noneRolloutGrace is the least grace with rolloutStrategy none: the
// kubelet refreshes mounted Secret files within its sync period plus its
// cache TTL (about a minute each by default).
const noneRolloutGrace = 2 * time.Minute

// rotationWhy explains a reissue reason to users.
var rotationWhy = map[string]string{
	reissueExpiring:      "the lease cannot be renewed any more (max TTL near, or not renewable) or the certificate reached its renewal point",
	reissueLost:          "Vault no longer knows the lease (revoked, expired, or revoked with the token that issued it)",
	reissueSpecChanged:   "the issue request in spec.vault.issue changed",
	reissueMissingValues: "the Secret lacked its values",
}

// recordLeases puts the dynamic secrets of a stored sync into the status,
// metrics and events, and keeps the VaultApp registered as a holder of its
// Vault identity's leases.
//
// Conditions: LeasesHealthy (removed when the app has no dynamic secrets).
func (r *VaultAppReconciler) recordLeases(app *appv1alpha1.VaultApp, vd *vaultData) {
	key := types.NamespacedName{Namespace: app.Namespace, Name: app.Name}
	app.Status.Leases = vd.leases
	app.Status.RetiringLeases = mergeRetiring(app.Status.RetiringLeases, vd)
	holds := len(vd.leases) > 0 || len(vd.record.Retiring) > 0
	r.leases.setHolder(vd.session.Identity(), key, holds)
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
	for _, path := range sortedKeys(vd.rotated) {
		r.Recorder.Eventf(app, corev1.EventTypeNormal, appv1alpha1.ReasonCredentialsRotated,
			"new credentials from %s: %s; the replaced ones are revoked after the new ones are rolled out and the grace period", path, rotationWhy[vd.rotated[path]])
	}
	msg := fmt.Sprintf("%d dynamic secret(s) valid; nearest expiry %s", len(vd.leases), nearest.UTC().Format(time.RFC3339))
	if old := meta.FindStatusCondition(app.Status.Conditions, appv1alpha1.ConditionLeasesHealthy); len(vd.rotated) == 0 && old != nil && old.Reason == appv1alpha1.ReasonLeasesValid {
		// keep the last rotation in the message until the next one
		if i := strings.Index(old.Message, "; last rotation: "); i >= 0 {
			msg += old.Message[i:]
		}
	}
	if len(vd.rotated) > 0 {
		var parts []string
		for _, path := range sortedKeys(vd.rotated) {
			parts = append(parts, path+" ("+vd.rotated[path]+")")
		}
		msg += fmt.Sprintf("; last rotation: %s at %s", strings.Join(parts, ", "), time.Now().UTC().Format(time.RFC3339))
	}
	setCondition(app, appv1alpha1.ConditionLeasesHealthy, metav1.ConditionTrue, appv1alpha1.ReasonLeasesValid, msg)
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

// reconcileRetiring revokes replaced leases once nobody needs them: with
// rolloutStrategy restart, the grace period counts from when the Deployment
// runs the new Secret version on all its ready replicas; with none, from
// the Secret update. A lease past its expiry is just forgotten. Returns when
// it next needs to run (zero: nothing pending).
func (r *VaultAppReconciler) reconcileRetiring(ctx context.Context, app *appv1alpha1.VaultApp, vd *vaultData) (time.Time, error) {
	if len(app.Status.RetiringLeases) == 0 {
		return time.Time{}, nil
	}
	now := time.Now()
	var (
		keep []appv1alpha1.RetiringLease
		next time.Time
		errs []string
	)
	for _, rl := range app.Status.RetiringLeases {
		if rl.RevokeTime == nil {
			if start, ok := r.rolledOutAt(app, now); ok {
				t := metav1.NewTime(start.Add(r.revokeGrace(app)).Truncate(time.Second))
				rl.RevokeTime = &t
			}
		}
		switch {
		case rl.ExpireTime != nil && !rl.ExpireTime.IsZero() && now.After(rl.ExpireTime.Time):
			r.leases.forget(rl.LeaseID) // ended on its own
			continue
		case rl.RevokeTime == nil:
			keep = append(keep, rl) // woken by the Deployment's status change
			continue
		case now.Before(rl.RevokeTime.Time):
			keep = append(keep, rl)
			if next.IsZero() || rl.RevokeTime.Before(&metav1.Time{Time: next}) {
				next = rl.RevokeTime.Time
			}
			continue
		}
		err := vd.session.RevokeLease(ctx, rl.LeaseID)
		metrics.LeaseRevocations.WithLabelValues(resultOf(err)).Inc()
		if err != nil {
			errs = append(errs, err.Error())
			keep = append(keep, rl)
			continue
		}
		r.leases.forget(rl.LeaseID)
		r.Recorder.Eventf(app, corev1.EventTypeNormal, appv1alpha1.ReasonLeaseRevoked, "revoked replaced lease %s", rl.LeaseID)
	}
	app.Status.RetiringLeases = keep
	if len(keep) != len(vd.record.Retiring) { // revoked leases leave the Secret's record
		vd.record.Retiring = vd.record.Retiring[:0]
		for _, rl := range keep {
			vd.record.Retiring = append(vd.record.Retiring, rl.LeaseID)
		}
		if err := r.applySecret(ctx, app, nil, vd.data, vd.record); err != nil {
			return next, err
		}
	}
	if len(errs) > 0 {
		err := fmt.Errorf("failed to revoke replaced credentials: %s; retrying", strings.Join(errs, "; "))
		r.Recorder.Eventf(app, corev1.EventTypeWarning, appv1alpha1.ReasonLeaseRevokeFailed, "%s", truncate(err.Error(), 1000))
		return next, err
	}
	return next, nil
}

// rolledOutAt says whether the pods use the current credentials, and
// since when the grace period counts.
func (r *VaultAppReconciler) rolledOutAt(app *appv1alpha1.VaultApp, now time.Time) (time.Time, bool) {
	if app.Spec.RolloutStrategy == appv1alpha1.RolloutNone {
		if t := app.Status.LastSecretUpdateTime; t != nil {
			return t.Time, true
		}
		return now, true
	}
	c := meta.FindStatusCondition(app.Status.Conditions, appv1alpha1.ConditionDeploymentReady)
	return now, c != nil && c.Status == metav1.ConditionTrue
}

// revokeGrace is how long replaced credentials outlive the rollout.
func (r *VaultAppReconciler) revokeGrace(app *appv1alpha1.VaultApp) time.Duration {
	if l := app.Spec.Vault.Leases; l != nil && l.RevokeGracePeriod != nil {
		return l.RevokeGracePeriod.Duration
	}
	if app.Spec.RolloutStrategy == appv1alpha1.RolloutNone {
		return max(r.LeaseRevokeGrace, noneRolloutGrace)
	}
	return r.LeaseRevokeGrace
}

// revokesOnDelete tells whether the app's leases are revoked when it goes.
func revokesOnDelete(app *appv1alpha1.VaultApp) bool {
	l := app.Spec.Vault.Leases
	return l == nil || l.RevokeOnDelete == nil || *l.RevokeOnDelete
}

// ensureRevokeFinalizer adds the finalizer that revokes the app's leases on
// deletion, before the first lease is stored.
func (r *VaultAppReconciler) ensureRevokeFinalizer(ctx context.Context, app *appv1alpha1.VaultApp) error {
	if !revokesOnDelete(app) || controllerutil.ContainsFinalizer(app, appv1alpha1.RevokeLeasesFinalizer) {
		return nil
	}
	orig := app.DeepCopy()
	controllerutil.AddFinalizer(app, appv1alpha1.RevokeLeasesFinalizer)
	return r.Client.Patch(ctx, app, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
