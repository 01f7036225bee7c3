package vault_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Push records a location before writing it (internal/controller/push
// recordIntent) and passes the record's Expect to the next WriteOwned.
// After a write that failed, that location is only claimed: the next
// sync's Expect must not let the write pass as the operator's, even one
// naming the version the failed write meant to create (a version without
// Written counts for nothing).
func eachRetriedClaim(t *testing.T, f func(t *testing.T, b backend, exp vault.Expect)) {
	for _, exp := range []vault.Expect{{Claimed: true}, {Claimed: true, Version: 1}} {
		t.Run(fmt.Sprintf("%+v", exp), func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) { f(t, b, exp) })
		})
	}
}

func TestContractAClaimIsNoProofOfOwnership(t *testing.T) {
	eachRetriedClaim(t, func(t *testing.T, b backend, exp vault.Expect) {
		ctx := t.Context()
		loc := seed(t, b, "secret/data/app", other, "theirs")
		if _, err := b.WriteOwned(ctx, loc, after(), me, vault.Expect{}); !vault.IsCategory(err, vault.CategoryConflict) {
			t.Fatalf("first write = %v, want a conflict", err)
		}
		// The next sync, with the record recordIntent left.
		if _, err := b.WriteOwned(ctx, loc, after(), me, exp); !vault.IsCategory(err, vault.CategoryConflict) {
			t.Errorf("retry with %+v = %v, want a conflict", exp, err)
		}
		if got, _ := b.ReadKV(ctx, loc); got.Data["k"] != "theirs" || got.CustomMetadata[vault.MetaOwner] != other.Name {
			t.Fatalf("the other object's secret now holds %v (metadata %v)", got.Data, got.CustomMetadata)
		}
	})
}

func TestContractCreateWhoseStampFailedIsStampedOnTheNextWrite(t *testing.T) {
	eachRetriedClaim(t, func(t *testing.T, b backend, exp vault.Expect) {
		ctx := t.Context()
		// The data write of a create went through, its owner stamp did not.
		loc := seed(t, b, "secret/data/app", unowned, "after")
		if v, err := b.WriteOwned(ctx, loc, after(), me, exp); err != nil || v != 2 {
			t.Fatalf("retry with %+v = %d, %v; want version 2", exp, v, err)
		}
		if got, _ := b.ReadKV(ctx, loc); !reflect.DeepEqual(got.CustomMetadata, vault.OwnerMetadata(me)) {
			t.Fatalf("metadata after the retry = %v, want %v", got.CustomMetadata, vault.OwnerMetadata(me))
		}
	})
}
