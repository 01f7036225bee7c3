package push

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// The steps of a sync that touch Vault and the record, in order:
// skipUnchanged, recordIntent, writeData, removeStale, recordSynced.
// docs/performance.md has the crash-safety argument of each.

// skipUnchanged ends the sync when the data and paths are as recorded and
// no drift check is due: no Vault request at all, except, the first time
// this process sees the Deployment, one read per location that proves
// Vault holds what the record says (the record is written before the data:
// a process that died in between left a record ahead of Vault). A record
// that did not verify has no hash: everything is written once and recorded
// anew.
func (r *Reconciler) skipUnchanged(ctx context.Context, p *pass) (bool, error) {
	key := keyOf(p.dep)
	_, dirty := r.dirty.Load(key)
	p.unchanged = p.hash == p.recorded.Hash && len(p.unverified) == 0 && !dirty
	if p.cfg.ReconcileInterval > 0 {
		p.verify = r.verifyDue(key, p.cfg.ReconcileInterval)
	}
	if !p.unchanged || p.verify {
		return false, nil
	}
	if _, seen := r.seen.Load(key); seen {
		return true, nil
	}
	for i, w := range p.writes {
		held, err := p.kv.Holds(ctx, p.locs[i], r.owner(p.dep), p.recorded.Expect(p.locs[i]), toAny(w.Data))
		if err != nil {
			return false, vaultOpError("read", err)
		}
		if !held {
			p.unchanged = false // written again below
			return false, nil
		}
	}
	r.seen.Store(key, true)
	return true, nil
}

// recordIntent records, before anything is written, the locations about to
// be written (with those recorded before, until they are removed), the new
// hash, what is known written and the finalizer: one patch. A Deployment
// deleted at any moment after a write still has its finalizer and a record
// of what to clean up. A new location is only claimed: the claim proves
// nothing about what is there (on KV v1 the keyed sum of the data about to
// be written goes with it: pendingSums). When this process wrote the record it
// starts from, the KV v2 writes of known locations are recorded with the
// version they will create (no second patch); otherwise with the version
// recorded, and the write corrects it (proof.go).
func (r *Reconciler) recordIntent(ctx context.Context, p *pass) (bool, error) {
	p.versions, p.sums = map[string]int{}, maps.Clone(p.recorded.Sums)
	if p.sums == nil {
		p.sums = map[string]string{}
	}
	for _, l := range p.recorded.Locations {
		if v, written := p.recorded.Versions[l.String()]; written {
			if p.mine && l.Version == 2 && slices.Contains(p.locs, l) {
				v++ // the version this sync's write will create
			}
			p.versions[l.String()] = v
		}
	}
	intent := pushsync.State{Hash: p.hash, Locations: append(slices.Clone(p.recorded.Locations), newLocations(p.recorded.Locations, p.locs)...),
		Versions: maps.Clone(p.versions), Sums: maps.Clone(p.sums), Pending: r.pendingSums(p)}
	if err := r.record(ctx, p.dep, intent, true); err != nil {
		return false, err
	}
	p.state = intent
	return false, nil
}

// pendingSums are the keyed sums of the KV v1 data this sync is about to
// write (State.Pending): a write that lands but whose record does not
// (the record patch fails, the process dies) is still proven by its data.
func (r *Reconciler) pendingSums(p *pass) map[string]string {
	sums := map[string]string{}
	for i, w := range p.writes {
		if loc := p.locs[i]; loc.Version != 2 {
			sums[loc.String()] = pushsync.DataSum(r.Key, string(p.dep.UID), loc.String(), toAny(w.Data))
		}
	}
	return sums
}

// writeData writes every location; a periodic drift check rewrites only
// what drifted. A failed write leaves the Deployment marked, so that its
// next sync writes again although the record already has the new hash.
func (r *Reconciler) writeData(ctx context.Context, p *pass) (bool, error) {
	for i, w := range p.writes {
		loc := p.locs[i]
		if p.unchanged && p.verify {
			cur, err := p.kv.ReadKV(ctx, loc)
			if err == nil && sameData(cur.Data, w.Data) {
				continue
			}
			if err != nil && !vault.IsCategory(err, vault.CategoryNotFound) {
				return false, vaultOpError("read", err)
			}
		}
		exp, err := r.expect(ctx, p.dep, p.kv, p.recorded, p.mine, loc)
		if err != nil {
			return false, err
		}
		exp.Listed = exp.Claimed // the last sync's record listed it: it most likely exists
		exp.Claimed = true       // recordIntent listed it before this write
		v, err := p.kv.WriteOwned(ctx, loc, toAny(w.Data), r.owner(p.dep), exp)
		if err != nil {
			r.dirty.Store(keyOf(p.dep), true)
			r.doubt(p.dep) // the intent names versions this write did not make
			return false, vaultOpError("write", err)
		}
		r.confirm(p, loc, v, exp)
		p.written = append(p.written, loc.String())
	}
	if p.verify {
		r.verified.Store(keyOf(p.dep), time.Now())
	}
	return false, nil
}

// confirm records a successful write in the versions the record keeps.
// A KV v2 secret created by this sync stays only claimed: its owner
// metadata proves it is the operator's, and recording its version would
// cost a second patch (the next change reads the metadata once instead).
// A KV v1 secret has no metadata: its write is recorded, with the keyed
// sum of the data that proves it later (the one the intent announced).
func (r *Reconciler) confirm(p *pass, loc vault.Location, version int, exp vault.Expect) {
	switch {
	case loc.Version != 2:
		p.versions[loc.String()] = 0
		p.sums[loc.String()] = p.state.Pending[loc.String()]
	case exp.Written || slices.Contains(p.recorded.Locations, loc):
		p.versions[loc.String()] = version
	}
}

// removeStale removes what was written before at locations no longer
// wanted: those of the trusted record, and those of an unverified one that
// Vault proves this Deployment wrote.
func (r *Reconciler) removeStale(ctx context.Context, p *pass) (bool, error) {
	var err error
	p.removed, err = r.deleteLocations(ctx, p.dep, p.kv, p.state.Stale(p.locs), p.recorded, p.mine)
	if err != nil {
		return false, err
	}
	unverified := pushsync.State{Locations: p.unverified}.Stale(p.locs)
	removed, err := r.deleteLocations(ctx, p.dep, p.kv, unverified, pushsync.State{}, false)
	p.removed = append(p.removed, removed...)
	return false, err
}

// recordSynced records the state written: no request at all when it is
// what recordIntent announced (no stale location, the versions expected,
// no KV v1 write: its pending sum becomes the written one here).
func (r *Reconciler) recordSynced(ctx context.Context, p *pass) (bool, error) {
	r.seen.Store(keyOf(p.dep), true)
	versions, sums := map[string]int{}, map[string]string{}
	for _, l := range p.locs {
		if v, ok := p.versions[l.String()]; ok {
			versions[l.String()] = v
		}
		if s, ok := p.sums[l.String()]; ok {
			sums[l.String()] = s
		}
	}
	return false, r.record(ctx, p.dep, pushsync.State{Hash: p.hash, Locations: p.locs, Versions: versions, Sums: sums}, true)
}
