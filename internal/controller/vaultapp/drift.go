package vaultapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
)

// drift is what someone else did to the managed Secret since the operator
// last wrote it (zero: nothing).
type drift struct {
	kind                    string // "edited" or "deleted"
	added, changed, removed []string
}

// driftOf compares the existing Secret with what the operator last wrote
// (status.secretVersion) and, when someone else changed or deleted it,
// says which keys (never values) differ from want.
func (r *Reconciler) driftOf(app *appv1alpha1.VaultApp, existing, want *corev1.Secret) drift {
	if app.Status.SecretVersion == "" {
		return drift{} // never written: nothing to drift from
	}
	if existing == nil {
		return drift{kind: "deleted"}
	}
	if dataVersion(r.Key, app, existing.Data) == app.Status.SecretVersion {
		return drift{}
	}
	d := drift{kind: "edited"}
	for k, v := range want.Data {
		old, ok := existing.Data[k]
		switch {
		case !ok:
			d.removed = append(d.removed, k)
		case !bytes.Equal(old, v):
			d.changed = append(d.changed, k)
		}
	}
	for k := range existing.Data {
		if _, ok := want.Data[k]; !ok {
			d.added = append(d.added, k)
		}
	}
	if len(d.added)+len(d.changed)+len(d.removed) == 0 {
		// The Secret already holds what would be written: nothing to
		// repair. The status (from the cache) can lag the operator's own
		// last write: the Secret's update wakes the next reconcile before
		// the status patch of the one that wrote it reaches the cache.
		return drift{}
	}
	return d
}

// reportDrift says, once repaired, what was repaired: an event naming the
// keys and a counter. The Deployment does not roll for a repair that
// restores the data it runs with (the secret version is unchanged).
func (r *Reconciler) reportDrift(app *appv1alpha1.VaultApp, d drift) {
	if d.kind == "" {
		return
	}
	metrics.VaultAppDriftRepairs.WithLabelValues(d.kind).Inc()
	name := appv1alpha1.SecretNameFor(app.Name)
	if d.kind == "deleted" {
		r.Events.Normal(app, appv1alpha1.ReasonDriftRepaired, fmt.Sprintf("secret %s was deleted by someone else; created it again", name))
		return
	}
	var parts []string
	for _, p := range []struct {
		what string
		keys []string
	}{{"changed", d.changed}, {"removed", d.removed}, {"added", d.added}} {
		if len(p.keys) > 0 {
			slices.Sort(p.keys)
			parts = append(parts, p.what+" "+strings.Join(p.keys, ", "))
		}
	}
	r.Events.Normal(app, appv1alpha1.ReasonDriftRepaired, fmt.Sprintf("secret %s was edited by someone else (keys %s); restored", name, strings.Join(parts, "; ")))
}

// removeForeignKeys deletes keys someone else added to the managed Secret:
// server-side apply leaves fields it does not own alone.
func (r *Reconciler) removeForeignKeys(ctx context.Context, sec *corev1.Secret, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	null := map[string]any{}
	for _, k := range keys {
		null[k] = nil
	}
	patch, _ := json.Marshal(map[string]any{"data": null})
	return client.IgnoreNotFound(r.Client.Patch(ctx, sec.DeepCopy(), client.RawPatch(types.MergePatchType, patch), kube.FieldOwner))
}
