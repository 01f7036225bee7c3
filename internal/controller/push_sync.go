package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	ctrl "sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// sync makes Vault hold what the Deployment's Secrets contain. It writes
// only when the content or the paths changed since the recorded sync (or,
// with periodic reconcile, when Vault drifted), then removes locations it
// wrote before that are no longer wanted, then records the new state.
func (r *DeploymentReconciler) sync(ctx context.Context, dep *appsv1.Deployment, cfg pushsync.Config, state pushsync.State) (ctrl.Result, error) {
	key := types.NamespacedName{Namespace: dep.Namespace, Name: dep.Name}
	logger := log.FromContext(ctx).WithValues("vaultPath", cfg.Path)
	start := time.Now()

	names := pushsync.SecretNames(cfg, &dep.Spec.Template.Spec)
	r.Tracker.Track(key, names) // before reading: no change can slip between

	secrets, err := r.secretsOf(ctx, dep.Namespace, names)
	if err != nil {
		return ctrl.Result{}, r.syncFailed(ctx, dep, err)
	}
	writes, err := pushsync.Plan(cfg, secrets)
	if err != nil {
		return ctrl.Result{}, r.syncFailed(ctx, dep, err)
	}
	base, err := r.kv(dep).ResolveKV(ctx, cfg.Path)
	if err != nil {
		return ctrl.Result{}, r.syncFailed(ctx, dep, vaultOpError("write", err))
	}
	base = base.WithPrefix(r.clusterPrefix())
	locs := make([]vault.Location, len(writes))
	paths := make([]string, len(writes))
	for i, w := range writes {
		locs[i] = base
		if w.Sub != "" {
			locs[i] = base.Child(w.Sub)
		}
		paths[i] = locs[i].String()
	}
	for _, p := range paths {
		if err := r.Policy.AllowPath(dep.Namespace, r.ClusterName, p); err != nil {
			metrics.PolicyDenials.WithLabelValues("path").Inc()
			r.warn(ctx, dep, ReasonPathNotAllowed, err)
			return ctrl.Result{}, ctrl.TerminalError(err) // only a new path annotation (or policy) fixes it
		}
	}
	hash := pushsync.Hash(paths, writes)
	unchanged := hash == state.Hash
	verify := cfg.ReconcileInterval > 0 && r.verifyDue(key, cfg.ReconcileInterval)
	requeue := ctrl.Result{RequeueAfter: jitter(cfg.ReconcileInterval)}
	if unchanged && !verify {
		return requeue, nil
	}

	// New locations are recorded, with the finalizer, before anything is
	// written there: a Deployment deleted at any moment after a write
	// still has its finalizer and a record of what to clean up. (An empty
	// hash marks the record as not yet synced.) Content changes to known
	// locations need no such step.
	written0 := state
	if added := newLocations(state.Locations, locs); !controllerutil.ContainsFinalizer(dep, pushsync.Finalizer) || len(added) > 0 {
		pending := pushsync.State{Locations: append(slices.Clone(state.Locations), added...)}
		if err := r.record(ctx, dep, pending, true); err != nil {
			return ctrl.Result{}, err
		}
		state = pending
	}

	var written []string
	for i, w := range writes {
		if unchanged { // periodic check: rewrite only what drifted
			if cur, err := r.kv(dep).ReadKV(ctx, locs[i]); err == nil && sameData(cur.Data, w.Data) {
				continue
			} else if err != nil && !vault.IsCategory(err, vault.CategoryNotFound) {
				return ctrl.Result{}, r.syncFailed(ctx, dep, vaultOpError("read", err))
			}
		}
		known := slices.Contains(written0.Locations, locs[i])
		if err := r.kv(dep).WriteOwned(ctx, locs[i], toAny(w.Data), r.owner(dep), known); err != nil {
			return ctrl.Result{}, r.syncFailed(ctx, dep, vaultOpError("write", err))
		}
		written = append(written, paths[i])
	}
	if verify {
		r.verified.Store(key, time.Now())
	}
	removed, err := r.deleteLocations(ctx, dep, state.Stale(locs))
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.record(ctx, dep, pushsync.State{Hash: hash, Locations: locs}, true); err != nil {
		return ctrl.Result{}, err
	}

	metrics.SyncAttempts.WithLabelValues(dep.Namespace, "success").Inc()
	metrics.SyncDuration.Observe(time.Since(start).Seconds())
	if len(written) > 0 || len(removed) > 0 {
		reason, msg := ReasonSynced, fmt.Sprintf("synced %d secret(s) to vault: %s", len(written), strings.Join(written, ", "))
		if unchanged {
			reason, msg = ReasonRestored, "restored data missing or changed in vault: "+strings.Join(written, ", ")
		}
		if len(removed) > 0 {
			msg += fmt.Sprintf("; removed %s", strings.Join(removed, ", "))
		}
		r.normal(dep, reason, msg)
		logger.Info("synced to vault", "written", written, "removed", removed, "secrets", names)
	}
	return requeue, nil
}

// syncFailed reports err as an event, a log line and metrics, and decides
// the retry: inputs the Secret watch or a new Deployment version will fix
// are terminal (no retry loop); Vault and API errors back off and retry.
func (r *DeploymentReconciler) syncFailed(ctx context.Context, dep *appsv1.Deployment, err error) error {
	metrics.SyncAttempts.WithLabelValues(dep.Namespace, "error").Inc()
	var (
		sre *secretReadError
		kme *pushsync.KeyMissingError
		ce  *pushsync.ConfigError
	)
	switch {
	case errors.As(err, &sre) && apierrors.IsNotFound(sre.err):
		metrics.SecretNotFound.WithLabelValues(dep.Namespace).Inc()
		r.warn(ctx, dep, ReasonSecretNotFound, err)
		return ctrl.TerminalError(err) // the Secret's creation triggers the next sync
	case errors.As(err, &kme):
		metrics.SecretKeyMissing.WithLabelValues(dep.Namespace).Inc()
		r.warn(ctx, dep, ReasonSecretKeyMissing, err)
		return ctrl.TerminalError(err)
	case errors.As(err, &ce):
		return r.invalidConfig(ctx, dep, err)
	case vault.IsCategory(err, vault.CategoryConflict):
		metrics.VaultWriteErrors.WithLabelValues(string(vault.CategoryConflict)).Inc()
		r.warn(ctx, dep, ReasonVaultPathConflict, err)
		return err // backs off; the other owner may release the path
	case vault.IsCategory(err, vault.CategoryAuth):
		metrics.VaultWriteErrors.WithLabelValues(string(vault.CategoryAuth)).Inc()
		r.warn(ctx, dep, ReasonVaultAuthFailed, err)
		return err
	case vault.CategoryOf(err) != "":
		metrics.VaultWriteErrors.WithLabelValues(string(vault.CategoryOf(err))).Inc()
		r.warn(ctx, dep, ReasonVaultWriteFailed, err)
		if vault.IsCategory(err, vault.CategoryInvalidPath) || vault.IsCategory(err, vault.CategoryTooLarge) {
			return ctrl.TerminalError(err) // only a change of the Deployment or Secret fixes it
		}
		return err
	default:
		r.warn(ctx, dep, ReasonVaultWriteFailed, err)
		return err
	}
}

// invalidConfig reports an invalid annotation. Retrying cannot fix it; the
// user's edit of the annotation triggers the next reconcile.
func (r *DeploymentReconciler) invalidConfig(ctx context.Context, dep *appsv1.Deployment, err error) error {
	metrics.ConfigParseErrors.WithLabelValues(pushsync.ErrorType(err)).Inc()
	r.warn(ctx, dep, ReasonInvalidConfig, err)
	return ctrl.TerminalError(err)
}

func (r *DeploymentReconciler) clusterPrefix() string {
	if r.ClusterName == "" {
		return ""
	}
	return "clusters/" + r.ClusterName
}

// secretReadError is a failure to read a referenced Secret.
type secretReadError struct {
	name string
	err  error
}

func (e *secretReadError) Error() string {
	msg := fmt.Sprintf("failed to get secret %s: %v", e.name, e.err)
	if apierrors.IsNotFound(e.err) {
		msg += " (if a generator such as kustomize's secretGenerator, a CSI driver or another operator creates it, it may not exist yet; the sync runs as soon as it appears)"
	}
	return msg
}

func (e *secretReadError) Unwrap() error { return e.err }

// vaultOpError puts the user-facing prefix on a Vault failure.
func vaultOpError(op string, err error) error {
	if vault.IsCategory(err, vault.CategoryAuth) {
		return fmt.Errorf("failed to authenticate with vault: %w", err)
	}
	if op == "read" {
		return fmt.Errorf("failed to read secret from vault: %w", err)
	}
	return fmt.Errorf("failed to %s secret to vault: %w", op, err)
}

// newLocations returns the locations of want that have not been recorded.
func newLocations(recorded, want []vault.Location) []vault.Location {
	var out []vault.Location
	for _, l := range want {
		if !slices.Contains(recorded, l) {
			out = append(out, l)
		}
	}
	return out
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sameData(cur map[string]any, want map[string]string) bool {
	if len(cur) != len(want) {
		return false
	}
	for k, v := range want {
		if s, ok := cur[k].(string); !ok || s != v {
			return false
		}
	}
	return true
}
