package operator

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// cacheOptions keeps memory proportional to what the operator manages:
// managedFields are dropped from everything cached; Deployments are cached
// slimmed (slimDeployment) unless a VaultApp controls them; Secrets are
// cached only when the operator itself manages them (VaultApp output, by
// label), and other Secrets are read on demand; Services likewise.
func cacheOptions(o Options) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue})
	opts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:     {Label: managed},
			&corev1.Service{}:    {Label: managed},
			&appsv1.Deployment{}: {Transform: slimDeployment},
		},
	}
	if len(o.WatchNamespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, n := range o.WatchNamespaces {
			opts.DefaultNamespaces[n] = cache.Config{}
		}
	}
	return opts
}

// clientOptions: every type the controllers read is in the cache (or
// read on demand through the API reader).
func clientOptions() client.Options { return client.Options{} }
