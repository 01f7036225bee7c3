package operator

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// cacheOptions keeps memory proportional to what the operator manages:
// managedFields are dropped from everything cached; Deployments are watched
// as slimmed metadata only (their spec and status are read with a direct
// GET when reconciled, see clientOptions); Secrets are cached only when the
// operator itself manages them (VaultApp output, by label), and other
// Secrets are read on demand; Services likewise.
func cacheOptions(o Options) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue})
	deploymentMeta := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}}
	opts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:  {Label: managed},
			&corev1.Service{}: {Label: managed},
			deploymentMeta:    {Transform: slimDeploymentMeta},
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

// clientOptions make the manager's client read Deployments from the API
// server: they are cached as metadata only, and a typed read through the
// cache would start a second, full informer.
func clientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&appsv1.Deployment{}}}}
}
