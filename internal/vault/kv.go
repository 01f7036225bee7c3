package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"
)

// KV is KV v1/v2 access through one session: locations resolved from the
// mount table, reads, writes and deletes, and ownership (ownership.go).
type KV struct {
	s          *Session
	mounts     *mountCache
	maxRequest int64 // Vault's request size limit (bytes; 0: unchecked)
}

// ResolveKV validates a user path and resolves it to a KV location, detecting
// the KV version from the mount instead of guessing from the path.
func (k *KV) ResolveKV(ctx context.Context, p string) (Location, error) {
	if err := ValidatePath(p); err != nil {
		return Location{}, &Error{Category: CategoryInvalidPath, Op: "resolve", Err: err}
	}
	m, err := k.mounts.of(ctx, k.s, p)
	if err != nil {
		return Location{}, err
	}
	if m.version == 0 {
		return Location{}, &Error{Category: CategoryInvalidPath, Op: "resolve", Path: p,
			Err: fmt.Errorf("mount %q is a %q secrets engine, not KV", m.path, m.kind)}
	}
	return locate(p, m)
}

// VerifyLocation checks a location decoded from a record against Vault's
// mount table: the mount serves the path and has the recorded KV version.
// A forged or outdated location (a KV v1 path recorded as KV v2, a mount
// that moved) is an invalid-path error and must not be acted on.
func (k *KV) VerifyLocation(ctx context.Context, loc Location) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	m, err := k.mounts.of(ctx, k.s, loc.Mount+"/"+loc.Path)
	if err != nil {
		return err
	}
	if strings.TrimSuffix(m.path, "/") != loc.Mount || m.version != loc.Version {
		return &Error{Category: CategoryInvalidPath, Op: "resolve", Path: loc.String(),
			Err: fmt.Errorf("the recorded location does not match Vault's mount table (mount %q, KV version %d)", m.path, m.version)}
	}
	return nil
}

// KVSecret is a KV secret's data plus what the operator needs of its metadata.
type KVSecret struct {
	Data map[string]any
	// Version is the KV v2 version read (0 on KV v1).
	Version int
	// CustomMetadata is KV v2 custom metadata (nil on KV v1).
	CustomMetadata map[string]any
}

// ReadKV reads a KV secret. A missing secret, or a KV v2 secret whose latest
// version is deleted or destroyed, is a CategoryNotFound error.
func (k *KV) ReadKV(ctx context.Context, loc Location) (*KVSecret, error) {
	if err := loc.Validate(); err != nil {
		return nil, err
	}
	var out *KVSecret
	err := k.s.do(ctx, "read", loc.String(), func(c *vaultapi.Client) error {
		var (
			sec *vaultapi.KVSecret
			err error
		)
		if loc.Version == 2 {
			sec, err = c.KVv2(loc.Mount).Get(ctx, loc.Path)
		} else {
			sec, err = c.KVv1(loc.Mount).Get(ctx, loc.Path)
		}
		if errors.Is(err, vaultapi.ErrSecretNotFound) {
			return &Error{Category: CategoryNotFound, Op: "read", Path: loc.String()}
		}
		if err != nil {
			return err
		}
		if sec.Data == nil {
			return &Error{Category: CategoryNotFound, Op: "read", Path: loc.String(),
				Err: errors.New("the latest version is deleted or destroyed")}
		}
		out = &KVSecret{Data: sec.Data, CustomMetadata: sec.CustomMetadata}
		if sec.VersionMetadata != nil {
			out.Version = sec.VersionMetadata.Version
		}
		return nil
	})
	return out, err
}

// WriteKV writes data as the secret's new content (a new version on KV v2).
func (k *KV) WriteKV(ctx context.Context, loc Location, data map[string]any) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	if err := k.checkSize(loc, data); err != nil {
		return err
	}
	return k.s.do(ctx, "write", loc.String(), func(c *vaultapi.Client) error {
		if loc.Version == 2 {
			_, err := c.KVv2(loc.Mount).Put(ctx, loc.Path, data)
			return err
		}
		return c.KVv1(loc.Mount).Put(ctx, loc.Path, data)
	})
}

// DeleteKV removes the secret. On KV v2 the metadata and every version go,
// so nothing of what the operator wrote is left behind. A secret that is
// already gone is not an error.
func (k *KV) DeleteKV(ctx context.Context, loc Location) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	err := k.s.do(ctx, "delete", loc.String(), func(c *vaultapi.Client) error {
		if loc.Version == 2 {
			return c.KVv2(loc.Mount).DeleteMetadata(ctx, loc.Path)
		}
		return c.KVv1(loc.Mount).Delete(ctx, loc.Path)
	})
	if IsCategory(err, CategoryNotFound) {
		return nil
	}
	return err
}
