package lease

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func onSecret(ann string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{Annotation: ann}}}
}

// FuzzReadRecord: whatever the annotation holds, reading it never
// panics, and what it yields survives a round trip.
func FuzzReadRecord(f *testing.F) {
	f.Add(`{"current":{"database/creds/a":{"leaseID":"database/creds/a/x","ttl":60,"issued":"2026-01-01T00:00:00Z"}},"retiring":["r"]}`)
	f.Add(`{"current":{"pki/issue/web":{"notAfter":"2026-01-01T00:00:00Z","serial":"01:02"}}}`)
	f.Add(`not json`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, ann string) {
		rec := ReadRecord(onSecret(ann))
		again := ReadRecord(onSecret(rec.Encode()))
		if again.Encode() != rec.Encode() {
			t.Fatalf("round trip: %q -> %q", rec.Encode(), again.Encode())
		}
		_ = rec.IDs()
	})
}
