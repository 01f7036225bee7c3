package vault

import (
	"context"
	"reflect"

	vaultapi "github.com/hashicorp/vault/api"
)

// Expect is what the caller's own sealed record says of a location. A
// claim (listed before anything was written) proves nothing about what is
// there; only a confirmed write does. Written with a Version is taken as
// proof without asking Vault (a check-and-set at that version, no owner
// read): KV v2 version numbers start again at 1 when a secret's metadata
// is deleted, so the caller passes it only for a version it knows it
// wrote last (push: a record this process wrote itself, never a replayed
// or pre-restart one; internal/controller/push/proof.go).
type Expect struct {
	// Claimed: the record listed the location before the write.
	Claimed bool
	// Written: a write of the operator there succeeded before (so its
	// owner metadata is stamped on KV v2, and on KV v1 the data is its own).
	Written bool
	// Version is, on KV v2, the version the operator last wrote or is
	// writing there (0: unknown).
	Version int
	// Listed: a record listed the location before this write, so it most
	// likely exists; the metadata is read first instead of trying a create
	// that would be refused. It proves nothing.
	Listed bool
}

// WriteOwned writes data at loc for owner and returns the KV v2 version it
// wrote (0 on KV v1). It never takes over data that is not owner's, and it
// costs one request in the usual cases:
//
//   - KV v2, written before with a known version: check-and-set at that
//     version (one write, no read); Vault refuses it if anyone wrote since;
//   - KV v2, never written nor listed: create with check-and-set 0, which
//     fails if anything is there, then stamp owner's metadata (two writes,
//     no read);
//   - otherwise (the check-and-set failed, or the version is unknown) the
//     metadata is read: it must be owner's, and the write is a check-and-set
//     at the version seen, so a concurrent writer is detected instead of
//     overwritten. A claimed location holding exactly data, unowned, in its
//     first version is the operator's own create whose stamp was lost (a
//     crash between the two writes): it is stamped and kept.
//   - KV v1 has no metadata: an existing secret is the operator's only if
//     it wrote there before (or, claimed, it holds exactly data).
func (k *KV) WriteOwned(ctx context.Context, loc Location, data map[string]any, owner Owner, exp Expect) (int, error) {
	if err := loc.Validate(); err != nil {
		return 0, err
	}
	if err := k.checkSize(loc, data); err != nil {
		return 0, err
	}
	if loc.Version != 2 {
		return 0, k.writeV1(ctx, loc, data, exp)
	}
	switch {
	case exp.Written && exp.Version > 0:
		if v, err := k.put(ctx, loc, data, exp.Version); !IsCategory(err, CategoryConflict) {
			return v, err
		}
	case !exp.Written && !exp.Listed:
		if v, err := k.create(ctx, loc, data, owner); !IsCategory(err, CategoryConflict) {
			return v, err
		}
	}
	return k.writeChecked(ctx, loc, data, owner, exp)
}

// writeChecked is the write after reading the metadata.
func (k *KV) writeChecked(ctx context.Context, loc Location, data map[string]any, owner Owner, exp Expect) (int, error) {
	md, err := k.metadata(ctx, loc)
	if err != nil {
		return 0, err
	}
	if md == nil { // deleted meanwhile
		return k.create(ctx, loc, data, owner)
	}
	restamp, err := CheckOwner(loc, md.CustomMetadata, owner)
	if err != nil && exp.Claimed && k.ownUnstampedCreate(ctx, loc, md, data) {
		restamp, err = true, nil
	}
	if err != nil {
		return 0, err
	}
	if restamp {
		if err := k.stamp(ctx, loc, OwnerMetadata(owner)); err != nil {
			return 0, err
		}
	}
	v, err := k.put(ctx, loc, data, md.CurrentVersion)
	if IsCategory(err, CategoryConflict) {
		return 0, conflict(loc, "it was changed concurrently by another writer (check-and-set failed); retrying")
	}
	return v, err
}

// ownUnstampedCreate: an unowned secret in its first version holding
// exactly data, at a location the operator's record claimed before
// writing, is the operator's own create whose metadata stamp was lost.
func (k *KV) ownUnstampedCreate(ctx context.Context, loc Location, md *vaultapi.KVMetadata, data map[string]any) bool {
	if md.CurrentVersion != 1 || md.CustomMetadata[MetaOwner] != nil {
		return false
	}
	cur, err := k.ReadKV(ctx, loc)
	return err == nil && reflect.DeepEqual(cur.Data, data)
}

// create writes a new KV v2 secret (check-and-set 0: only if nothing is
// there) and stamps it with owner's metadata.
func (k *KV) create(ctx context.Context, loc Location, data map[string]any, owner Owner) (int, error) {
	v, err := k.put(ctx, loc, data, 0)
	if err != nil {
		return 0, err
	}
	return v, k.stamp(ctx, loc, OwnerMetadata(owner))
}

// put is a KV v2 data write with check-and-set; it returns the version written.
func (k *KV) put(ctx context.Context, loc Location, data map[string]any, cas int) (int, error) {
	var version int
	err := k.s.do(ctx, "write", loc.String(), func(c *vaultapi.Client) error {
		sec, err := c.KVv2(loc.Mount).Put(ctx, loc.Path, data, vaultapi.WithCheckAndSet(cas))
		if err == nil && sec != nil && sec.VersionMetadata != nil {
			version = sec.VersionMetadata.Version
		}
		return err
	})
	return version, err
}

// writeV1 writes a KV v1 secret. An existing one is the operator's only if
// it wrote there before, or the location was claimed and holds exactly
// data (its own write whose confirmation was lost).
func (k *KV) writeV1(ctx context.Context, loc Location, data map[string]any, exp Expect) error {
	if !exp.Written {
		cur, err := k.ReadKV(ctx, loc)
		switch {
		case err == nil && !(exp.Claimed && reflect.DeepEqual(cur.Data, data)):
			return conflict(loc, "a secret exists there that this operator did not write")
		case err != nil && !IsCategory(err, CategoryNotFound):
			return err
		}
	}
	return k.WriteKV(ctx, loc, data)
}

// Holds reports whether loc still holds what the operator's record says it
// wrote, with one read: on KV v2 with a known version, the metadata (the
// version is the recorded one, the owner is owner); otherwise the data
// itself (equal to data, and on KV v2 owner's). A record written before
// its data (a crash in between) does not hold.
func (k *KV) Holds(ctx context.Context, loc Location, owner Owner, exp Expect, data map[string]any) (bool, error) {
	if err := loc.Validate(); err != nil {
		return false, err
	}
	if loc.Version == 2 && exp.Written && exp.Version > 0 {
		md, err := k.metadata(ctx, loc)
		if err != nil || md == nil {
			return false, err
		}
		_, owned := CheckOwner(loc, md.CustomMetadata, owner)
		return owned == nil && md.CurrentVersion == exp.Version, nil
	}
	cur, err := k.ReadKV(ctx, loc)
	if IsCategory(err, CategoryNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if loc.Version == 2 {
		if _, err := CheckOwner(loc, cur.CustomMetadata, owner); err != nil {
			return false, nil
		}
	}
	return reflect.DeepEqual(cur.Data, data), nil
}
