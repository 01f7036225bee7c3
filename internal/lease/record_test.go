package lease

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
)

func onSecret(ann string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{Annotation: ann}}}
}

// FuzzReadRecord: whatever the annotation holds, reading it never
// panics, and what it yields survives a round trip.
func FuzzReadRecord(f *testing.F) {
	key, _ := mac.NewKey([]byte("the operator's test key, 32 bytes"))
	f.Add(`{"current":{"database/creds/a":{"leaseID":"database/creds/a/x","ttl":60,"issued":"2026-01-01T00:00:00Z"}},"retiring":["r"]}`)
	f.Add(`{"current":{"pki/issue/web":{"notAfter":"2026-01-01T00:00:00Z","serial":"01:02"}}}`)
	f.Add(`not json`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, ann string) {
		rec, trusted := ReadRecord(onSecret(ann), key, "uid")
		if trusted && ann != "" && rec.Empty() {
			t.Fatalf("an unsealed record %q is trusted", ann)
		}
		sealed := rec.Seal(key, "uid")
		again, ok := ReadRecord(onSecret(sealed), key, "uid")
		if !ok || again.Seal(key, "uid") != sealed {
			t.Fatalf("round trip: %q -> %q", sealed, again.Seal(key, "uid"))
		}
		for _, id := range again.IDs() {
			if strings.Contains(id, "..") {
				t.Fatalf("trusted a lease id with ..: %q", id)
			}
		}
	})
}
