package main

import (
	"context"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// watchedKinds are the kinds the operator writes: a change to any of them
// is a Kubernetes write, whoever counted it.
var watchedKinds = []schema.GroupVersionKind{
	appsv1.SchemeGroupVersion.WithKind("DeploymentList"),
	corev1.SchemeGroupVersion.WithKind("SecretList"),
	corev1.SchemeGroupVersion.WithKind("ServiceList"),
	monitoringv1.SchemeGroupVersion.WithKind("ServiceMonitorList"),
	appv1alpha1.GroupVersion.WithKind("VaultAppList"),
}

// objectID names an object across kinds.
type objectID struct {
	kind string
	key  client.ObjectKey
}

// kubeState is the apiserver's view of those objects: each one's
// resourceVersion (it changes on every write, status included) and every
// Deployment's generation (it changes on every rollout the operator
// starts through the pod template).
type kubeState struct {
	versions    map[objectID]string
	generations map[client.ObjectKey]int64
}

func snapshotKube(ctx context.Context, c client.Client) (kubeState, error) {
	st := kubeState{versions: map[objectID]string{}, generations: map[client.ObjectKey]int64{}}
	for _, gvk := range watchedKinds {
		var list metav1.PartialObjectMetadataList
		list.SetGroupVersionKind(gvk)
		if err := c.List(ctx, &list); err != nil {
			return kubeState{}, err
		}
		for _, o := range list.Items {
			k := client.ObjectKeyFromObject(&o)
			st.versions[objectID{gvk.Kind, k}] = o.ResourceVersion
			if gvk.Kind == "DeploymentList" {
				st.generations[k] = o.Generation
			}
		}
	}
	return st, nil
}

// changesTo counts the objects created, deleted or written between s and
// later, and the rollouts (generation increments of Deployments).
func (s kubeState) changesTo(later kubeState) (changed int, rollouts int64) {
	for id, v := range later.versions {
		if s.versions[id] != v {
			changed++
		}
	}
	for id := range s.versions {
		if _, ok := later.versions[id]; !ok {
			changed++
		}
	}
	for k, g := range later.generations {
		if old, ok := s.generations[k]; ok && g > old {
			rollouts += g - old
		}
	}
	return changed, rollouts
}
