package lease

import (
	"cmp"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func TestBookHolders(t *testing.T) {
	b := NewBook()
	idA, idB := vault.Identity{Role: "a"}, vault.Identity{Role: "b"}
	web, api := types.NamespacedName{Namespace: "ns", Name: "web"}, types.NamespacedName{Namespace: "ns", Name: "api"}

	b.SetHolder(idA, web, true)
	b.SetHolder(idA, api, true)
	b.SetHolder(idB, web, true)
	got := b.HoldersOf(idA)
	slices.SortFunc(got, func(x, y types.NamespacedName) int { return cmp.Compare(x.Name, y.Name) })
	if !slices.Equal(got, []types.NamespacedName{api, web}) {
		t.Fatalf("holders of a = %v, want api and web", got)
	}

	// web holds no lease any more, of any identity: b has no holder left.
	if released := b.SetHolder(vault.Identity{}, web, false); !slices.Equal(released, []vault.Identity{idB}) {
		t.Fatalf("released = %v, want only b (a is still held by api)", released)
	}
	if released := b.SetHolder(vault.Identity{}, web, false); len(released) != 0 {
		t.Fatalf("released again = %v, want none: web held nothing any more", released)
	}
	if released := b.SetHolder(idA, web, true); released != nil {
		t.Fatalf("taking a hold released %v", released)
	}
	if released := b.SetHolder(vault.Identity{}, web, false); len(released) != 0 {
		t.Fatalf("released = %v, want none: api still holds a", released)
	}
	if got := b.HoldersOf(idA); !slices.Equal(got, []types.NamespacedName{api}) {
		t.Fatalf("holders of a after web let go = %v", got)
	}
	if got := b.HoldersOf(idB); len(got) != 0 {
		t.Fatalf("holders of b after web let go = %v", got)
	}
	if len(b.holders) != 1 {
		t.Fatalf("identities without holders are kept: %v", b.holders)
	}
}

func TestBookForgetsADeletedApp(t *testing.T) {
	b := NewBook()
	id := vault.Identity{Role: "a"}
	app, secret := types.NamespacedName{Namespace: "ns", Name: "web"}, types.NamespacedName{Namespace: "ns", Name: "web-vault-secrets"}
	b.SetHolder(id, app, true)
	b.SetWritten(secret, `{"current":{}}`)
	if r, ok := b.Written(secret); !ok || r != `{"current":{}}` {
		t.Fatalf("Written = %q, %v", r, ok)
	}
	if released := b.ForgetApp(app, secret); !slices.Equal(released, []vault.Identity{id}) {
		t.Fatalf("ForgetApp released %v, want %v", released, id)
	}
	if _, ok := b.Written(secret); ok || len(b.HoldersOf(id)) != 0 {
		t.Fatal("a deleted app is still remembered")
	}
}

func TestBookVerifiedUnderOneGeneration(t *testing.T) {
	b := NewBook()
	b.MarkVerified("l1", 3)
	if !b.VerifiedUnder("l1", 3) || b.VerifiedUnder("l1", 4) || b.VerifiedUnder("l2", 3) {
		t.Fatal("a lease is verified only under the token generation it was seen alive under")
	}
	b.Forget("l1")
	if b.VerifiedUnder("l1", 3) {
		t.Fatal("a forgotten lease is still verified")
	}
}
