package vaultapp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
)

// noneRolloutGrace is the least grace with rolloutStrategy none: the
// kubelet refreshes mounted Secret files within its sync period plus its
// cache TTL (about a minute each by default).
const noneRolloutGrace = 2 * time.Minute

// revokeRetry is when a failed revocation of replaced credentials is retried.
const revokeRetry = 30 * time.Second

// reconcileRetiring revokes replaced leases once nobody needs them: with
// rolloutStrategy restart, the grace period counts from when the Deployment
// runs the new Secret version on all its ready replicas; with none, from
// the Secret update. A lease past its expiry is just forgotten. Nothing is
// revoked while Vault failed or a rollout waits its turn.
//
// Events: LeaseRevoked, LeaseRevokeFailed.
func (r *Reconciler) reconcileRetiring(ctx context.Context, p *pass) (ctrl.Result, error) {
	app := p.app
	if p.vd == nil || p.rolloutPending || len(app.Status.RetiringLeases) == 0 {
		return ctrl.Result{}, nil
	}
	keep, errs := r.revokeDue(ctx, p)
	app.Status.RetiringLeases = keep
	if len(keep) != len(p.vd.record.Retiring) {
		// The Secret's record forgets what was revoked or ended.
		p.vd.record.Retiring = p.vd.record.Retiring[:0]
		for _, rl := range keep {
			p.vd.record.Retiring = append(p.vd.record.Retiring, rl.LeaseID)
		}
		if err := r.applySecret(ctx, app, nil, r.desiredSecret(app, p.vd)); err != nil {
			return ctrl.Result{}, err
		}
	}
	if len(errs) > 0 {
		err := fmt.Errorf("failed to revoke replaced credentials: %s; retrying", strings.Join(errs, "; "))
		r.Events.Warning(ctx, app, appv1alpha1.ReasonLeaseRevokeFailed, err)
		return ctrl.Result{RequeueAfter: kube.Jitter(revokeRetry)}, nil
	}
	return ctrl.Result{}, nil
}

// revokeDue revokes the retiring leases whose time came, and returns those
// still to keep and the errors met; p.revokeAt is set to the next due time.
func (r *Reconciler) revokeDue(ctx context.Context, p *pass) (keep []appv1alpha1.RetiringLease, errs []string) {
	app, now := p.app, time.Now()
	for _, rl := range app.Status.RetiringLeases {
		if rl.RevokeTime == nil {
			if start, ok := r.rolledOutAt(app, now); ok {
				t := metav1.NewTime(start.Add(r.revokeGrace(app)).Truncate(time.Second))
				rl.RevokeTime = &t
			}
		}
		switch {
		case rl.ExpireTime != nil && !rl.ExpireTime.IsZero() && now.After(rl.ExpireTime.Time):
			r.leases.Forget(rl.LeaseID) // ended on its own
			continue
		case rl.RevokeTime == nil:
			keep = append(keep, rl) // woken by the Deployment's status change
			continue
		case now.Before(rl.RevokeTime.Time):
			keep = append(keep, rl)
			if p.revokeAt.IsZero() || rl.RevokeTime.Time.Before(p.revokeAt) {
				p.revokeAt = rl.RevokeTime.Time
			}
			continue
		}
		err := p.vd.client.RevokeLease(ctx, rl.LeaseID)
		metrics.LeaseRevocations.WithLabelValues(resultOf(err)).Inc()
		if err != nil {
			errs = append(errs, err.Error())
			keep = append(keep, rl)
			continue
		}
		r.leases.Forget(rl.LeaseID)
		r.Events.Normal(app, appv1alpha1.ReasonLeaseRevoked, "revoked replaced lease "+rl.LeaseID)
	}
	return keep, errs
}

// rolledOutAt says whether the pods use the current credentials, and
// since when the grace period counts.
func (r *Reconciler) rolledOutAt(app *appv1alpha1.VaultApp, now time.Time) (time.Time, bool) {
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
func (r *Reconciler) revokeGrace(app *appv1alpha1.VaultApp) time.Duration {
	if l := app.Spec.Vault.Leases; l != nil && l.RevokeGracePeriod != nil {
		return l.RevokeGracePeriod.Duration
	}
	if app.Spec.RolloutStrategy == appv1alpha1.RolloutNone {
		return max(r.LeaseRevokeGrace, noneRolloutGrace)
	}
	return r.LeaseRevokeGrace
}
