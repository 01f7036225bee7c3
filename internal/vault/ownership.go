package vault

import (
	"context"
	"errors"
	"fmt"

	vaultapi "github.com/hashicorp/vault/api"
)

// Custom metadata keys that mark a KV v2 secret as written by the operator
// for one object. Nothing is ever overwritten or deleted unless it carries
// the same owner.
const (
	MetaManagedBy = "vault-sync.io/managed-by"
	MetaOwner     = "vault-sync.io/owner"
	managedBy     = "vault-sync-operator"
)

// Owner names the object a secret is written for: its cluster (may be
// empty), namespace, kind and name, e.g. "prod/default/Deployment/my-app".
type Owner string

// NewOwner builds the owner of an object.
func NewOwner(cluster, namespace, kind, name string) Owner {
	return Owner(fmt.Sprintf("%s/%s/%s/%s", cluster, namespace, kind, name))
}

// WriteOwned writes data at loc for owner, refusing to take over data that
// is not owner's:
//
//   - KV v2: the secret's custom metadata must name owner, or the secret must
//     not exist. Anything else is a CategoryConflict error and nothing is
//     written. A new secret's metadata is stamped with owner first; the data
//     write is a check-and-set against the version seen, so a concurrent
//     writer is detected instead of overwritten.
//   - KV v1 has no metadata: known says whether the caller's own record lists
//     loc; an existing secret the record does not list is a conflict.
func (k *KV) WriteOwned(ctx context.Context, loc Location, data map[string]any, owner Owner, known bool) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	if err := k.checkSize(loc, data); err != nil {
		return err
	}
	if loc.Version != 2 {
		if !known {
			if _, err := k.ReadKV(ctx, loc); err == nil {
				return conflict(loc, "a secret exists there that this operator did not write")
			} else if !IsCategory(err, CategoryNotFound) {
				return err
			}
		}
		return k.WriteKV(ctx, loc, data)
	}
	md, err := k.metadata(ctx, loc)
	if err != nil {
		return err
	}
	cas := 0
	if md != nil {
		if err := CheckOwner(loc, md.CustomMetadata, owner); err != nil {
			return err
		}
		cas = md.CurrentVersion
	} else {
		// Claim the path before writing data: a crash between the two
		// steps then leaves an owned, empty entry the next attempt fills,
		// never unmarked data that no one may take over.
		if err := k.s.do(ctx, "write", loc.String(), func(c *vaultapi.Client) error {
			return c.KVv2(loc.Mount).PutMetadata(ctx, loc.Path, vaultapi.KVMetadataPutInput{
				CustomMetadata: OwnerMetadata(owner)})
		}); err != nil {
			return err
		}
	}
	err = k.s.do(ctx, "write", loc.String(), func(c *vaultapi.Client) error {
		_, err := c.KVv2(loc.Mount).Put(ctx, loc.Path, data, vaultapi.WithCheckAndSet(cas))
		return err
	})
	if IsCategory(err, CategoryConflict) {
		return conflict(loc, "it was changed concurrently by another writer (check-and-set failed); retrying")
	}
	return err
}

// DeleteOwned removes loc if owner wrote it. On KV v2 a secret whose
// metadata names someone else (or no one) is left alone and reported as a
// CategoryConflict error; a missing one is not an error.
func (k *KV) DeleteOwned(ctx context.Context, loc Location, owner Owner) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	if loc.Version == 2 {
		md, err := k.metadata(ctx, loc)
		if err != nil || md == nil {
			return err
		}
		if err := CheckOwner(loc, md.CustomMetadata, owner); err != nil {
			return err
		}
	}
	return k.DeleteKV(ctx, loc)
}

// metadata reads KV v2 metadata; nil when the secret does not exist.
func (k *KV) metadata(ctx context.Context, loc Location) (*vaultapi.KVMetadata, error) {
	var md *vaultapi.KVMetadata
	err := k.s.do(ctx, "read", loc.String(), func(c *vaultapi.Client) error {
		var err error
		md, err = c.KVv2(loc.Mount).GetMetadata(ctx, loc.Path)
		if errors.Is(err, vaultapi.ErrSecretNotFound) {
			md, err = nil, nil
		}
		return err
	})
	return md, err
}

// CheckOwner returns a CategoryConflict error unless the custom metadata
// of the secret at loc names owner.
func CheckOwner(loc Location, custom map[string]any, owner Owner) error {
	got, _ := custom[MetaOwner].(string)
	switch {
	case got == string(owner):
		return nil
	case got == "":
		return conflict(loc, "a secret exists there that this operator did not write (no "+MetaOwner+" custom metadata); choose another path, or delete it in Vault if it should be replaced")
	default:
		return conflict(loc, fmt.Sprintf("it belongs to %s; two objects cannot sync to one path", got))
	}
}

// OwnerMetadata is the custom metadata that claims a KV v2 secret for owner.
func OwnerMetadata(owner Owner) map[string]any {
	return map[string]any{MetaManagedBy: managedBy, MetaOwner: string(owner)}
}

func conflict(loc Location, why string) error {
	return &Error{Category: CategoryConflict, Op: "write", Path: loc.String(), Err: errors.New(why)}
}
