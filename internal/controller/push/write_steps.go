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
// hash, the KV v2 versions the writes of known locations will create, and
// the finalizer: one patch. A Deployment deleted at any moment after a
// write still has its finalizer and a record of what to clean up. A new
// location is only claimed: the claim proves nothing about what is there.
func (r *Reconciler) recordIntent(ctx context.Context, p *pass) (bool, error) {
	p.versions = map[string]int{}
	for _, l := range p.recorded.Locations {
		if v, written := p.recorded.Versions[l.String()]; written {
			if l.Version == 2 && slices.Contains(p.locs, l) {
				v++ // the version this sync's write will create
			}
			p.versions[l.String()] = v
		}
	}
	intent := pushsync.State{Hash: p.hash, Locations: append(slices.Clone(p.recorded.Locations), newLocations(p.recorded.Locations, p.locs)...),
		Versions: maps.Clone(p.versions)}
	if err := r.record(ctx, p.dep, intent, true); err != nil {
		return false, err
	}
	p.state = intent
	return false, nil
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
		exp := p.recorded.Expect(loc)
		exp.Claimed = true // recordIntent listed it before this write
		v, err := p.kv.WriteOwned(ctx, loc, toAny(w.Data), r.owner(p.dep), exp)
		if err != nil {
			r.dirty.Store(keyOf(p.dep), true)
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
// A KV v1 secret has no metadata: its write is recorded.
func (r *Reconciler) confirm(p *pass, loc vault.Location, version int, exp vault.Expect) {
	switch {
	case loc.Version != 2:
		p.versions[loc.String()] = 0
	case exp.Written || slices.Contains(p.recorded.Locations, loc):
		p.versions[loc.String()] = version
	}
}

// removeStale removes what was written before at locations no longer
// wanted: those of the trusted record, and those of an unverified one that
// Vault proves this Deployment wrote.
func (r *Reconciler) removeStale(ctx context.Context, p *pass) (bool, error) {
	var err error
	p.removed, err = r.deleteLocations(ctx, p.dep, p.kv, p.state.Stale(p.locs), p.recorded)
	if err != nil {
		return false, err
	}
	unverified := pushsync.State{Locations: p.unverified}.Stale(p.locs)
	removed, err := r.deleteLocations(ctx, p.dep, p.kv, unverified, pushsync.State{})
	p.removed = append(p.removed, removed...)
	return false, err
}

// recordSynced records the state written: no request at all when it is
// what recordIntent announced (no stale location, the versions expected).
func (r *Reconciler) recordSynced(ctx context.Context, p *pass) (bool, error) {
	r.seen.Store(keyOf(p.dep), true)
	versions := map[string]int{}
	for _, l := range p.locs {
		if v, ok := p.versions[l.String()]; ok {
			versions[l.String()] = v
		}
	}
	return false, r.record(ctx, p.dep, pushsync.State{Hash: p.hash, Locations: p.locs, Versions: versions}, true)
}
