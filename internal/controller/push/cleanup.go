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
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// finalize runs when the Deployment is being deleted: it removes from Vault
// what it recorded writing (unless preserve-on-delete; an unreadable value
// reads as preserve), then releases the finalizer. A failed delete keeps
// the finalizer and is retried.
func (r *Reconciler) finalize(ctx context.Context, dep *appsv1.Deployment, cfg pushsync.Config, rec pushsync.Record) error {
	if !controllerutil.ContainsFinalizer(dep, pushsync.Finalizer) {
		return nil
	}
	return r.release(ctx, dep, rec, cfg.PreserveOnDelete)
}

// disable handles a Deployment whose path annotation was removed: it is no
// longer synced, and what was written for it is removed like on deletion.
func (r *Reconciler) disable(ctx context.Context, dep *appsv1.Deployment, rec pushsync.Record) error {
	if !controllerutil.ContainsFinalizer(dep, pushsync.Finalizer) && len(rec.Trusted.Locations) == 0 && len(rec.Unverified) == 0 {
		return nil
	}
	preserve, _ := pushsync.PreserveOnDelete(dep.Annotations)
	return r.release(ctx, dep, rec, preserve)
}

// release removes (or, preserving, keeps) what was written for dep, then
// clears the record and the finalizer.
func (r *Reconciler) release(ctx context.Context, dep *appsv1.Deployment, rec pushsync.Record, preserve bool) error {
	kv, mine := r.Vault(dep), r.recordedHere(dep, rec.Trusted)
	switch {
	case preserve && len(rec.Trusted.Locations) > 0:
		for _, l := range rec.Trusted.Locations {
			// A namesake created later may take the data over.
			if err := kv.Release(ctx, l, r.owner(dep)); err != nil {
				return err
			}
		}
		r.Events.Normal(dep, v1alpha1.ReasonPreserved, "kept vault data (preserve-on-delete): "+joinLocations(rec.Trusted.Locations))
	case !preserve:
		if _, err := r.deleteLocations(ctx, dep, kv, rec.Trusted.Locations, rec.Trusted, mine); err != nil {
			return err
		}
		if _, err := r.deleteLocations(ctx, dep, kv, rec.Unverified, pushsync.State{}, false); err != nil {
			return err
		}
	}
	if err := r.record(ctx, dep, pushsync.State{}, false); err != nil {
		return err
	}
	r.forget(types.NamespacedName{Namespace: dep.Namespace, Name: dep.Name})
	return nil
}

// deleteLocations removes recorded locations and returns the paths
// removed. Each is first checked: a clean path that Vault's mount table
// serves with the recorded KV version, allowed by the policy, and — KV v1
// having no metadata to prove anything — on KV v1 a write the trusted
// record confirms (a location only claimed, or from an unverified record,
// is left alone). Ownership is checked by Vault's metadata on every KV v2
// delete. The first failure to delete stops it and is returned (the record
// still lists everything, so a retry finishes the job).
func (r *Reconciler) deleteLocations(ctx context.Context, dep *appsv1.Deployment, kv vault.KVStore, locs []vault.Location, rec pushsync.State, mine bool) ([]string, error) {
	var removed, left []string
	for _, l := range locs {
		if ok, err := r.deletable(ctx, dep, kv, l, rec, mine); err != nil {
			return removed, err
		} else if !ok {
			left = append(left, l.String())
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
	if len(left) > 0 {
		r.Events.Warning(ctx, dep, v1alpha1.ReasonRecordNotTrusted, fmt.Errorf(
			"left in vault, not deleted (the record's location is invalid, not served as recorded, or not provably written for this Deployment): %s", strings.Join(left, ", ")))
	}
	if len(removed) > 0 {
		r.Events.Normal(dep, v1alpha1.ReasonCleanedUp, "removed from vault: "+strings.Join(removed, ", "))
		log.FromContext(ctx).Info("removed from vault", "paths", removed)
	}
	return removed, nil
}

// deletable checks a recorded location before it is deleted (on KV v1 the
// trusted record must prove a write there, proof.go); an error is a Vault
// failure to retry.
func (r *Reconciler) deletable(ctx context.Context, dep *appsv1.Deployment, kv vault.KVStore, l vault.Location, rec pushsync.State, mine bool) (bool, error) {
	if err := kv.VerifyLocation(ctx, l); err != nil {
		if vault.IsCategory(err, vault.CategoryInvalidPath) || vault.IsCategory(err, vault.CategoryPermissionDenied) {
			return false, nil
		}
		return false, err
	}
	if l.Version != 2 {
		exp, err := r.expect(ctx, dep, kv, rec, mine, l)
		if err != nil || !exp.Written {
			return false, err
		}
	}
	if err := r.Policy.AllowPath(ctx, dep.Namespace, l.String(), policy.Write); err != nil {
		metrics.PolicyDenials.WithLabelValues("path").Inc()
		r.Events.Warning(ctx, dep, v1alpha1.ReasonPathNotAllowed, fmt.Errorf("left in vault, not deleted: %w", err))
		return false, nil
	}
	return true, nil
}

func joinLocations(locs []vault.Location) string {
	s := make([]string, len(locs))
	for i, l := range locs {
		s[i] = l.String()
	}
	return strings.Join(s, ", ")
}
