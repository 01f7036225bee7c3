package operator

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

func TestCacheKeepsOnlyWhatTheOperatorManages(t *testing.T) {
	opts := cacheOptions(Options{})
	if opts.DefaultNamespaces != nil {
		t.Fatalf("namespaces = %v, want all", opts.DefaultNamespaces)
	}
	var secretSel labels.Selector
	var deploymentTransform func(any) (any, error)
	for obj, by := range opts.ByObject {
		switch obj.(type) {
		case *corev1.Secret:
			secretSel = by.Label
		case *appsv1.Deployment:
			deploymentTransform = by.Transform
		}
	}
	if secretSel == nil || !secretSel.Matches(labels.Set{appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue}) ||
		secretSel.Matches(labels.Set{"app": "web"}) {
		t.Fatalf("Secret cache selector = %v, want only Secrets the operator manages", secretSel)
	}
	if deploymentTransform == nil {
		t.Fatal("Deployments are not cached slimmed")
	}
	out, _ := deploymentTransform(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web",
		Labels: map[string]string{"app": "web"}, Annotations: map[string]string{pushsync.AnnotationPath: "secret/x", "other": "y"}}})
	if m := out.(*appsv1.Deployment); m.Labels != nil || len(m.Annotations) != 1 {
		t.Fatalf("cached Deployment metadata = %+v", m.ObjectMeta)
	}
	if opts.DefaultTransform == nil {
		t.Fatal("managedFields are not stripped from the cache")
	}

	watched := cacheOptions(Options{WatchNamespaces: []string{"a", "b"}}).DefaultNamespaces
	names := make([]string, 0, len(watched))
	for n := range watched {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("watched namespaces = %v, want a and b", names)
	}
}

// Both controllers read Deployments from the (slimmed) cache: none is
// read from the API server.
func TestNoTypeIsReadAroundTheCache(t *testing.T) {
	if opts := clientOptions(); opts.Cache != nil && len(opts.Cache.DisableFor) > 0 {
		t.Fatalf("types read from the API server = %v, want none", opts.Cache.DisableFor)
	}
}
