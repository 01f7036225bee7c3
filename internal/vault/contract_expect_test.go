package vault_test

import (
	"reflect"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Push records a location, with the KV v2 version its write will create,
// before writing (internal/controller/push recordIntent), and passes that
// record's Expect to the next WriteOwned. When the write fails, the next
// sync's Expect names a version the operator never wrote.

const expectBug = "BUG: WriteOwned's check-and-set fast path (Expect.Version > 0) writes without any owner check, " +
	"trusting that the operator wrote that version; but push's recordIntent records Versions[loc] = recorded+1 " +
	"BEFORE the write, and the next sync passes that record's Expect. (1) A Deployment whose first write to " +
	"another object's KV v2 secret (at version 1) was refused as a conflict retries with Expect{Recorded, Version: 1}: " +
	"the check-and-set at 1 succeeds and overwrites the other object's data (its owner metadata stays). (2) A create " +
	"whose owner stamp failed (crash, or any error of the metadata write) is retried with Expect{Recorded, Version: 1}: " +
	"the fast path succeeds and the secret is never stamped, so the Deployment's deletion leaves it in Vault " +
	"(VaultPathConflict) and Holds fails after every restart. The fake checks the owner on every write, so push's " +
	"unit tests cannot see either. Fix: record the intended versions apart from the written ones (Expect.Version only " +
	"from a version WriteOwned returned), or check ownership on the fast path."

func TestContractRecordedVersionIsNoProofOfOwnership(t *testing.T) {
	t.Skip(expectBug)
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		loc := seed(t, b, "secret/data/app", other, "theirs")
		if _, err := b.WriteOwned(ctx, loc, after(), me, vault.Expect{}); !vault.IsCategory(err, vault.CategoryConflict) {
			t.Fatalf("first write = %v, want a conflict", err)
		}
		// The next sync, with the record recordIntent left.
		if _, err := b.WriteOwned(ctx, loc, after(), me, vault.Expect{Recorded: true, Version: 1}); !vault.IsCategory(err, vault.CategoryConflict) {
			t.Errorf("retry with the intended version = %v, want a conflict", err)
		}
		if got, _ := b.ReadKV(ctx, loc); got.Data["k"] != "theirs" || got.CustomMetadata[vault.MetaOwner] != other.Name {
			t.Fatalf("the other object's secret now holds %v (metadata %v)", got.Data, got.CustomMetadata)
		}
	})
}

func TestContractCreateWhoseStampFailedIsStampedOnTheNextWrite(t *testing.T) {
	t.Skip(expectBug)
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		// The data write of a create went through, its owner stamp did not.
		loc := seed(t, b, "secret/data/app", unowned, "after")
		if _, err := b.WriteOwned(ctx, loc, after(), me, vault.Expect{Recorded: true, Version: 1}); err != nil {
			t.Fatalf("retry = %v", err)
		}
		if got, _ := b.ReadKV(ctx, loc); !reflect.DeepEqual(got.CustomMetadata, vault.OwnerMetadata(me)) {
			t.Fatalf("metadata after the retry = %v, want %v", got.CustomMetadata, vault.OwnerMetadata(me))
		}
	})
}
