package push

import (
	"context"
	"slices"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// A sealed record proves that the operator wrote it for this Deployment,
// not that it is the latest one: a tenant can put back an older record of
// the same Deployment, and a record written before a write that then
// failed names a version that write never made. So a recorded write is
// taken as proof only when this process wrote that very record (mine
// holds the MAC of the last record it wrote per Deployment) or Vault
// confirms it: on KV v2 the client then reads the owner metadata (Written
// is dropped), on KV v1 the data there must match the recorded keyed sum.
// After a restart this costs one read per location at its first write or
// delete, nothing afterwards.

// recordedHere reports whether st is the record this process last wrote
// on dep.
func (r *Reconciler) recordedHere(dep *appsv1.Deployment, st pushsync.State) bool {
	mac, ok := r.mine.Load(keyOf(dep))
	return ok && st.MAC != "" && mac.(string) == st.MAC
}

// remember notes the record this process wrote on dep (none: forget it).
func (r *Reconciler) remember(dep *appsv1.Deployment, sealed pushsync.State) {
	if sealed.MAC == "" {
		r.mine.Delete(keyOf(dep))
		return
	}
	r.mine.Store(keyOf(dep), sealed.MAC)
}

// doubt stops trusting the recorded versions of dep, after a write whose
// outcome the record does not show.
func (r *Reconciler) doubt(dep *appsv1.Deployment) { r.mine.Delete(keyOf(dep)) }

// expect is what rec proves about loc, for a write or a delete there;
// mine: rec is the record this process last wrote (recordedHere, asked
// before this sync recorded anything). On KV v1 the data Vault holds
// proves a write when it matches a keyed sum of rec: of the data recorded
// written, or of the data a sync announced it was about to write (its
// write may have landed without being recorded).
func (r *Reconciler) expect(ctx context.Context, dep *appsv1.Deployment, kv vault.KVStore, rec pushsync.State, mine bool, loc vault.Location) (vault.Expect, error) {
	exp := rec.Expect(loc)
	if mine && exp.Written {
		return exp, nil
	}
	proofs := rec.Proofs(loc)
	if loc.Version == 2 || len(proofs) == 0 {
		return vault.Expect{Claimed: exp.Claimed}, nil // KV v2: the owner metadata decides
	}
	cur, err := kv.ReadKV(ctx, loc)
	if vault.IsCategory(err, vault.CategoryNotFound) {
		return vault.Expect{Claimed: exp.Claimed}, nil
	}
	if err != nil {
		return vault.Expect{}, vaultOpError("read", err)
	}
	exp.Written = slices.Contains(proofs, pushsync.DataSum(r.Key, string(dep.UID), loc.String(), cur.Data))
	return exp, nil
}
