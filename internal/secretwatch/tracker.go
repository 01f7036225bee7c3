// Package secretwatch tells the push controller when a Secret that an
// annotated Deployment uses changes, without caching Secrets.
//
// A cluster may hold tens of thousands of Secrets, almost all irrelevant.
// An informer would keep every one of them in memory (and, with
// last-applied-configuration annotations, their data too). Instead, a
// metadata-only reflector streams changes through a store that keeps
// nothing but the references the controller registered, so memory grows
// with the Secrets in use, not with the cluster.
package secretwatch

import (
	"context"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// Tracker maps Secrets to the Deployments that use them and enqueues those
// Deployments when the Secrets change. It is a controller-runtime Source.
type Tracker struct {
	client    metadata.Interface
	namespace string // "" for all namespaces

	mu     sync.Mutex
	users  map[types.NamespacedName][]types.NamespacedName // secret -> deployments (usually one)
	uses   map[types.NamespacedName][]types.NamespacedName // deployment -> secrets
	queue  workqueue.TypedRateLimitingInterface[reconcile.Request]
	synced chan struct{}
}

var _ source.TypedSyncingSource[reconcile.Request] = &Tracker{}

// New creates a Tracker watching Secrets in namespace ("" for all).
func New(client metadata.Interface, namespace string) *Tracker {
	return &Tracker{client: client, namespace: namespace,
		users: map[types.NamespacedName][]types.NamespacedName{},
		uses:  map[types.NamespacedName][]types.NamespacedName{}, synced: make(chan struct{})}
}

// Track records that deployment uses secrets (names in its namespace),
// replacing what it used before. Call it before reading the Secrets: any
// change after this call enqueues the Deployment, and any change before it
// is seen by the read, so no update is lost.
func (t *Tracker) Track(deployment types.NamespacedName, secrets []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forgetLocked(deployment)
	if len(secrets) == 0 {
		return
	}
	keys := make([]types.NamespacedName, len(secrets))
	for i, s := range secrets {
		k := types.NamespacedName{Namespace: deployment.Namespace, Name: s}
		keys[i] = k
		t.users[k] = append(t.users[k], deployment)
	}
	t.uses[deployment] = keys
}

// Forget removes a Deployment's references.
func (t *Tracker) Forget(deployment types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forgetLocked(deployment)
}

func (t *Tracker) forgetLocked(d types.NamespacedName) {
	for _, k := range t.uses[d] {
		users := slices.DeleteFunc(t.users[k], func(u types.NamespacedName) bool { return u == d })
		if len(users) == 0 {
			delete(t.users, k)
		} else {
			t.users[k] = users
		}
	}
	delete(t.uses, d)
}

// ReferencedPerNamespace counts the Secrets referenced by tracked
// Deployments, by namespace (the secrets_discovered metric).
func (t *Tracker) ReferencedPerNamespace() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for k := range t.users {
		out[k.Namespace]++
	}
	return out
}

// Tracked returns the number of Secrets currently referenced (for tests and metrics).
func (t *Tracker) Tracked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.users)
}

// notify enqueues the users of a changed Secret.
func (t *Tracker) notify(obj any) {
	m, ok := obj.(metav1.Object)
	if !ok {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			m, ok = d.Obj.(metav1.Object)
			if !ok {
				return
			}
		} else {
			return
		}
	}
	k := types.NamespacedName{Namespace: m.GetNamespace(), Name: m.GetName()}
	t.mu.Lock()
	reqs := make([]reconcile.Request, 0, len(t.users[k]))
	for _, d := range t.users[k] {
		reqs = append(reqs, reconcile.Request{NamespacedName: d})
	}
	q := t.queue
	t.mu.Unlock()
	for _, r := range reqs {
		q.Add(r)
	}
}

// Start runs the reflector until ctx ends. Part of source.Source.
func (t *Tracker) Start(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	t.mu.Lock()
	t.queue = q
	t.mu.Unlock()
	res := t.client.Resource(secretsGVR).Namespace(t.namespace)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return res.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return res.Watch(ctx, o)
		},
	}
	st := newStore(t)
	r := cache.NewReflectorWithOptions(lw, &metav1.PartialObjectMetadata{}, st, cache.ReflectorOptions{Name: "secret-metadata"})
	go r.RunWithContext(ctx)
	go func() {
		// The first list is complete once the store saw its Replace.
		select {
		case <-st.listed:
		case <-ctx.Done():
		}
		close(t.synced)
	}()
	return nil
}

// WaitForSync returns when the first list of Secrets has been processed.
func (t *Tracker) WaitForSync(ctx context.Context) error {
	select {
	case <-t.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
