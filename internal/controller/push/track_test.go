package push

import (
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/internal/secretwatch"
)

// The Tracker learns an annotated Deployment's Secrets from the cache,
// before any reconcile; nothing for a Deployment without the annotation or
// being deleted.
func TestTrackEarlyRegistersAnnotatedDeploymentsOnly(t *testing.T) {
	r := &Reconciler{Tracker: secretwatch.New(nil, "")}
	plain := deployment("plain", nil, "a")
	r.trackEarly(plain)
	if n := r.Tracker.Tracked(); n != 0 {
		t.Fatalf("%d Secrets tracked for a Deployment without %s", n, "vault-sync.io/path")
	}
	r.trackEarly(deployment("web", pathAnn("secret/data/web"), "db", "api"))
	if n := r.Tracker.Tracked(); n != 2 {
		t.Fatalf("%d Secrets tracked, want db and api", n)
	}
	if got := r.Tracker.ReferencedPerNamespace()[ns]; got != 2 {
		t.Fatalf("referenced in %s: %d", ns, got)
	}
}
