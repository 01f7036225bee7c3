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
	// MetaOwnerUID is the UID of the owning object: a namesake created
	// later (or in another cluster with the same --cluster-name) is another
	// owner.
	MetaOwnerUID = "vault-sync.io/owner-uid"
	// MetaReleased marks a secret its owner left behind on purpose
	// (preserve-on-delete): the next object of the same name may take it.
	MetaReleased = "vault-sync.io/released"
	managedBy    = "vault-sync-operator"
)

// Owner is the object a secret is written for.
type Owner struct {
	// Name is its cluster (may be empty), namespace, kind and name, e.g.
	// "prod/default/Deployment/my-app".
	Name string
	// UID is the object's UID.
	UID string
}

// NewOwner builds the owner of an object.
func NewOwner(cluster, namespace, kind, name, uid string) Owner {
	return Owner{Name: fmt.Sprintf("%s/%s/%s/%s", cluster, namespace, kind, name), UID: uid}
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
		if _, err := CheckOwner(loc, md.CustomMetadata, owner); err != nil {
			return err
		}
	}
	return k.DeleteKV(ctx, loc)
}

// Release marks owner's KV v2 secret at loc as left behind on purpose
// (preserve-on-delete), so that the next object of the same name may take
// it over. Anything not owner's, and KV v1, is left as it is.
func (k *KV) Release(ctx context.Context, loc Location, owner Owner) error {
	if err := loc.Validate(); err != nil || loc.Version != 2 {
		return err
	}
	md, err := k.metadata(ctx, loc)
	if err != nil || md == nil {
		return err
	}
	if _, err := CheckOwner(loc, md.CustomMetadata, owner); err != nil {
		return nil // not ours to release
	}
	custom := OwnerMetadata(owner)
	custom[MetaReleased] = "true"
	return k.stamp(ctx, loc, custom)
}

// stamp writes the custom metadata of the KV v2 secret at loc.
func (k *KV) stamp(ctx context.Context, loc Location, custom map[string]any) error {
	return k.s.do(ctx, "write", loc.String(), func(c *vaultapi.Client) error {
		return c.KVv2(loc.Mount).PutMetadata(ctx, loc.Path, vaultapi.KVMetadataPutInput{CustomMetadata: custom})
	})
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
// of the secret at loc is owner's. restamp says the metadata must be
// rewritten before a write: it names owner but no UID (written by an older
// version) or was released by a namesake that preserved it on deletion.
func CheckOwner(loc Location, custom map[string]any, owner Owner) (restamp bool, err error) {
	got, _ := custom[MetaOwner].(string)
	uid, _ := custom[MetaOwnerUID].(string)
	released, _ := custom[MetaReleased].(string)
	switch {
	case got == "":
		return false, conflict(loc, "a secret exists there that this operator did not write (no "+MetaOwner+" custom metadata); choose another path, or delete it in Vault if it should be replaced")
	case got != owner.Name:
		return false, conflict(loc, fmt.Sprintf("it belongs to %s; two objects cannot sync to one path", got))
	case uid == owner.UID:
		return released != "", nil
	case uid == "" || released == "true":
		return true, nil
	default:
		return false, conflict(loc, fmt.Sprintf("it belongs to another %s of the same name (uid %s) that did not release it (a namesake in another cluster with the same --cluster-name, or still present)", got, uid))
	}
}

// OwnerMetadata is the custom metadata that claims a KV v2 secret for owner.
func OwnerMetadata(owner Owner) map[string]any {
	md := map[string]any{MetaManagedBy: managedBy, MetaOwner: owner.Name}
	if owner.UID != "" { // Vault refuses empty custom metadata values
		md[MetaOwnerUID] = owner.UID
	}
	return md
}

func conflict(loc Location, why string) error {
	return &Error{Category: CategoryConflict, Op: "write", Path: loc.String(), Err: errors.New(why)}
}
