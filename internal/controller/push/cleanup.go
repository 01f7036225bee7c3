package push

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// finalize runs when the Deployment is being deleted: it removes from Vault
// exactly the recorded locations (unless preserve-on-delete), then releases
// the finalizer. A failed delete keeps the finalizer and is retried.
func (r *Reconciler) finalize(ctx context.Context, dep *appsv1.Deployment, cfg pushsync.Config, cfgErr error, state pushsync.State) error {
	if !controllerutil.ContainsFinalizer(dep, pushsync.Finalizer) {
		return nil
	}
	// An unreadable preserve-on-delete value is read as "preserve": when in
	// doubt, keep data.
	preserve := cfg.PreserveOnDelete || pushsync.ErrorType(cfgErr) == pushsync.ErrTypeInvalidBool
	return r.release(ctx, dep, state, preserve)
}

// disable handles a Deployment whose path annotation was removed: it is no
// longer synced, and what was written for it is removed like on deletion.
func (r *Reconciler) disable(ctx context.Context, dep *appsv1.Deployment, state pushsync.State) error {
	if !controllerutil.ContainsFinalizer(dep, pushsync.Finalizer) && len(state.Locations) == 0 {
		return nil
	}
	preserve := strings.EqualFold(dep.Annotations[pushsync.AnnotationPreserveOnDelete], "true")
	return r.release(ctx, dep, state, preserve)
}

// release removes (or, preserving, keeps) what was written for dep, then
// clears the record and the finalizer.
func (r *Reconciler) release(ctx context.Context, dep *appsv1.Deployment, state pushsync.State, preserve bool) error {
	if preserve {
		if len(state.Locations) > 0 {
			r.Events.Normal(dep, v1alpha1.ReasonPreserved, "kept vault data (preserve-on-delete): "+joinLocations(state.Locations))
		}
	} else if _, err := r.deleteLocations(ctx, dep, r.Vault(dep), state.Locations); err != nil {
		return err
	}
	if err := r.record(ctx, dep, pushsync.State{}, false); err != nil {
		return err
	}
	r.forget(types.NamespacedName{Namespace: dep.Namespace, Name: dep.Name})
	return nil
}

// deleteLocations removes locations the operator recorded as written. It
// returns the paths removed. The first failure stops it and is returned
// (the record still lists everything, so a retry finishes the job).
func (r *Reconciler) deleteLocations(ctx context.Context, dep *appsv1.Deployment, kv vault.KVStore, locs []vault.Location) ([]string, error) {
	var removed []string
	for _, l := range locs {
		if err := r.Policy.AllowPath(dep.Namespace, r.ClusterName, l.String()); err != nil {
			metrics.PolicyDenials.WithLabelValues("path").Inc()
			r.Events.Warning(ctx, dep, v1alpha1.ReasonPathNotAllowed, fmt.Errorf("left in vault, not deleted: %w", err))
			continue
		}
		err := kv.DeleteOwned(ctx, l, r.owner(dep))
		if vault.IsCategory(err, vault.CategoryConflict) {
			// Someone else owns it now: not ours to delete.
			r.Events.Warning(ctx, dep, v1alpha1.ReasonVaultPathConflict, fmt.Errorf("left in vault, not deleted: %w", err))
			continue
		}
		if err != nil {
			metrics.VaultWriteErrors.WithLabelValues(string(vault.CategoryOf(err))).Inc()
			err = fmt.Errorf("failed to delete secret from vault: %w", err)
			r.Events.Warning(ctx, dep, v1alpha1.ReasonVaultDeleteFailed, err)
			return removed, err
		}
		removed = append(removed, l.String())
	}
	if len(removed) > 0 {
		r.Events.Normal(dep, v1alpha1.ReasonCleanedUp, "removed from vault: "+strings.Join(removed, ", "))
		log.FromContext(ctx).Info("removed from vault", "paths", removed)
	}
	return removed, nil
}

func joinLocations(locs []vault.Location) string {
	s := make([]string, len(locs))
	for i, l := range locs {
		s[i] = l.String()
	}
	return strings.Join(s, ", ")
}
