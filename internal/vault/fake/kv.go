package fake

import (
	"context"
	"errors"
	"maps"
	"reflect"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

var _ vault.KVStore = (*Vault)(nil)

// PutKV stores data at a user path as someone else (owner "" means no
// owner metadata: data the operator did not write).
func (f *Vault) PutKV(path string, data map[string]any, owner vault.Owner) vault.Location {
	loc, err := f.ResolveKV(context.Background(), path)
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := &kvEntry{data: clone(data), version: 1}
	if owner.Name != "" {
		e.custom = vault.OwnerMetadata(owner)
	}
	f.kv[loc] = e
	return loc
}

// KV returns the data at loc (nil when absent).
func (f *Vault) KV(loc vault.Location) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.kv[loc]; ok {
		return clone(e.data)
	}
	return nil
}

// Writes and Deletes list the locations written and deleted, in order.
func (f *Vault) Writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.writes...)
}
func (f *Vault) Deletes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.deletes...)
}

func (f *Vault) ResolveKV(_ context.Context, path string) (vault.Location, error) {
	if err := vault.ValidatePath(path); err != nil {
		return vault.Location{}, &vault.Error{Category: vault.CategoryInvalidPath, Op: "resolve", Err: err}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("resolve"); err != nil {
		return vault.Location{}, err
	}
	m, version, ok := f.mountOf(path)
	if !ok {
		return vault.Location{}, &vault.Error{Category: vault.CategoryInvalidPath, Op: "mount lookup", Path: path,
			Err: errors.New("no secrets engine is mounted at this path")}
	}
	return vault.LocateIn(path, m, version)
}

func (f *Vault) VerifyLocation(_ context.Context, loc vault.Location) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, version, ok := f.mountOf(loc.Mount + "/" + loc.Path); !ok || m != loc.Mount || version != loc.Version {
		return &vault.Error{Category: vault.CategoryInvalidPath, Op: "resolve", Path: loc.String(),
			Err: errors.New("the recorded location does not match the mount table")}
	}
	return nil
}

func (f *Vault) ReadKV(_ context.Context, loc vault.Location) (*vault.KVSecret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("read"); err != nil {
		return nil, err
	}
	f.reads[loc.String()]++
	e, ok := f.kv[loc]
	if !ok {
		return nil, notFound("read", loc.String())
	}
	return &vault.KVSecret{Data: clone(e.data), Version: e.version, CustomMetadata: clone(e.custom)}, nil
}

func (f *Vault) WriteOwned(_ context.Context, loc vault.Location, data map[string]any, owner vault.Owner, exp vault.Expect) (int, error) {
	if err := loc.Validate(); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("write"); err != nil {
		return 0, err
	}
	e, exists := f.kv[loc]
	switch {
	case exists && loc.Version == 2:
		restamp, err := vault.CheckOwner(loc, e.custom, owner)
		if err != nil && exp.Claimed && e.version == 1 && e.custom[vault.MetaOwner] == nil && reflect.DeepEqual(e.data, data) {
			restamp, err = true, nil // the operator's own create whose stamp was lost
		}
		if err != nil {
			return 0, err
		}
		if restamp {
			e.custom = vault.OwnerMetadata(owner)
		}
	case exists && !exp.Written && !(exp.Claimed && reflect.DeepEqual(e.data, data)):
		return 0, &vault.Error{Category: vault.CategoryConflict, Op: "write", Path: loc.String(),
			Err: errors.New("a secret exists there that this operator did not write")}
	}
	if !exists {
		e = &kvEntry{}
		if loc.Version == 2 {
			e.custom = vault.OwnerMetadata(owner)
		}
		f.kv[loc] = e
	}
	e.data, e.version = maps.Clone(data), e.version+1
	f.writes = append(f.writes, loc.String())
	if loc.Version != 2 {
		return 0, nil
	}
	return e.version, nil
}

func (f *Vault) Holds(_ context.Context, loc vault.Location, owner vault.Owner, exp vault.Expect, data map[string]any) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("read"); err != nil {
		return false, err
	}
	f.reads[loc.String()]++
	e, ok := f.kv[loc]
	if !ok {
		return false, nil
	}
	if loc.Version == 2 {
		if _, err := vault.CheckOwner(loc, e.custom, owner); err != nil {
			return false, nil
		}
		if exp.Written && exp.Version > 0 {
			return e.version == exp.Version, nil
		}
	}
	return reflect.DeepEqual(e.data, data), nil
}

func (f *Vault) DeleteOwned(_ context.Context, loc vault.Location, owner vault.Owner) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failure("delete"); err != nil {
		return err
	}
	e, ok := f.kv[loc]
	if !ok {
		return nil
	}
	if loc.Version == 2 {
		if _, err := vault.CheckOwner(loc, e.custom, owner); err != nil {
			return err
		}
	}
	delete(f.kv, loc)
	f.deletes = append(f.deletes, loc.String())
	return nil
}

func (f *Vault) Release(_ context.Context, loc vault.Location, owner vault.Owner) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.kv[loc]
	if !ok || loc.Version != 2 {
		return nil
	}
	if _, err := vault.CheckOwner(loc, e.custom, owner); err == nil {
		e.custom = vault.OwnerMetadata(owner)
		e.custom[vault.MetaReleased] = "true"
	}
	return nil
}

// Metadata returns the custom metadata at loc (nil when absent).
func (f *Vault) Metadata(loc vault.Location) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.kv[loc]; ok {
		return clone(e.custom)
	}
	return nil
}
