package operator

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// TestSlimDeploymentMetaKeepsWhatTheControllersRead: the cached metadata
// keeps what predicates and owner handlers read, and drops the rest.
func TestSlimDeploymentMetaKeepsWhatTheControllersRead(t *testing.T) {
	now := metav1.Now()
	in := &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns", UID: "u", ResourceVersion: "7", Generation: 3,
			DeletionTimestamp: &now, Finalizers: []string{pushsync.Finalizer}, CreationTimestamp: now,
			Labels:          map[string]string{"app": "x"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "VaultApp", Name: "x"}},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			Annotations: map[string]string{pushsync.AnnotationPath: "secret/x", pushsync.AnnotationState: "{}",
				"kubectl.kubernetes.io/last-applied-configuration": "{...}", "deployment.kubernetes.io/revision": "2"}},
	}
	out, err := slimDeploymentMeta(in)
	if err != nil {
		t.Fatal(err)
	}
	m := out.(*metav1.PartialObjectMetadata)
	if m.Name != "x" || m.Namespace != "ns" || m.UID != "u" || m.ResourceVersion != "7" || m.Generation != 3 ||
		m.DeletionTimestamp == nil || len(m.Finalizers) != 1 || len(m.OwnerReferences) != 1 || m.Kind != "Deployment" {
		t.Fatalf("lost what the controllers read: %+v", m)
	}
	if len(m.Annotations) != 2 || m.Annotations[pushsync.AnnotationPath] != "secret/x" || m.Annotations[pushsync.AnnotationState] != "{}" {
		t.Fatalf("annotations = %v", m.Annotations)
	}
	if m.Labels != nil || m.ManagedFields != nil || !m.CreationTimestamp.IsZero() {
		t.Fatalf("kept what nobody reads: %+v", m.ObjectMeta)
	}
}
