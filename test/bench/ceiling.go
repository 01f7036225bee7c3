package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// ceilingNamespace holds the objects the ceiling is measured on; nothing
// annotates them, so the operator never reconciles them.
const (
	ceilingNamespace = "bench-ceiling"
	ceilingObjects   = 64
	ceilingWarmUp    = 500 * time.Millisecond
)

// ceiling is what this machine serves at most, in requests per second,
// measured from the benchmark process with the operator's concurrency
// before the operator starts, without a client-side limit: a property of
// the machine, not of a setting. (The operator's own client limit, QPS and
// burst per resource, is printed beside it: a burst of 1,000 covers short
// phases, long ones can meet the QPS.)
type ceiling struct {
	SecretGet, DeploymentPatch, VaultPut, VaultRead float64
}

// pushBound is the most Deployments per second a push cold start could
// sync here: each needs at least one Secret GET, one Deployment patch and
// one Vault put.
func (c ceiling) pushBound() float64 { return min(c.SecretGet, c.DeploymentPatch, c.VaultPut) }

// pullBound is the most VaultApps per second a pull cold start could
// sync: each needs at least one Vault read and one object write.
func (c ceiling) pullBound() float64 { return min(c.VaultRead, c.DeploymentPatch) }

// verifyBound is the most objects per second a restart could re-verify:
// each needs at least one GET and (VaultApps) one Vault read.
func (c ceiling) verifyBound() float64 { return min(c.SecretGet, c.VaultRead) }

// measureCeiling measures each kind of request for d with workers
// goroutines, as many as the operator's parallel reconciles.
func measureCeiling(ctx context.Context, env *e2e.Env, workers int, d time.Duration) (ceiling, error) {
	c, vc, err := ceilingClients(env, workers)
	if err != nil {
		return ceiling{}, err
	}
	if err := createCeilingObjects(ctx, c, env); err != nil {
		return ceiling{}, err
	}
	var out ceiling
	obj := func(i int64) types.NamespacedName {
		return types.NamespacedName{Namespace: ceilingNamespace, Name: fmt.Sprintf("c-%d", i%ceilingObjects)}
	}
	kvPath := func(i int64) string { return fmt.Sprintf("secret/data/ceiling/c-%d", i%ceilingObjects) }
	kinds := []struct {
		into *float64
		do   func(i int64) error
	}{
		{&out.SecretGet, func(i int64) error { return c.Get(ctx, obj(i), &corev1.Secret{}) }},
		{&out.DeploymentPatch, func(i int64) error {
			dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ceilingNamespace, Name: obj(i).Name}}
			patch := fmt.Sprintf(`{"metadata":{"annotations":{"bench.vault-sync.io/ceiling":"%d"}}}`, i)
			return c.Patch(ctx, dep, client.RawPatch(types.MergePatchType, []byte(patch)))
		}},
		{&out.VaultPut, func(i int64) error {
			_, err := vc.Logical().WriteWithContext(ctx, kvPath(i), map[string]any{"data": map[string]any{"v": fmt.Sprint(i)}})
			return err
		}},
		{&out.VaultRead, func(i int64) error {
			_, err := vc.Logical().ReadWithContext(ctx, kvPath(i))
			return err
		}},
	}
	for _, k := range kinds {
		if *k.into, err = requestRate(ctx, workers, d, k.do); err != nil {
			return ceiling{}, err
		}
	}
	return out, nil
}

// ceilingClients are an apiserver client without a client-side limit and
// a root Vault client through the rig's proxy (the operator's way in),
// both keeping a connection per worker.
func ceilingClients(env *e2e.Env, workers int) (client.Client, *vaultapi.Client, error) {
	rc := *env.RestConfig
	rc.QPS, rc.Burst = -1, 0 // no client-side limiter: the box's own ceiling
	c, err := client.New(&rc, client.Options{Scheme: rig.Scheme()})
	if err != nil {
		return nil, nil, err
	}
	vcfg := vaultapi.DefaultConfig()
	vcfg.Address = env.Vault.Addr
	if t, ok := vcfg.HttpClient.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = workers
	}
	vc, err := vaultapi.NewClient(vcfg)
	if err != nil {
		return nil, nil, err
	}
	vc.SetToken(env.Vault.RootToken)
	return c, vc, nil
}

func createCeilingObjects(ctx context.Context, c client.Client, env *e2e.Env) error {
	if err := env.EnsureNamespace(ctx, ceilingNamespace); err != nil {
		return err
	}
	return parallel(ceilingObjects, 16, func(i int) error {
		name := fmt.Sprintf("c-%d", i)
		if err := c.Create(ctx, e2e.NewSecret(ceilingNamespace, name, "v", "ceiling")); err != nil {
			return err
		}
		if err := c.Create(ctx, e2e.NewDeployment(ceilingNamespace, name, nil, name)); err != nil {
			return err
		}
		return env.Vault.PutKV(ctx, "secret/data/ceiling/"+name, map[string]any{"v": "ceiling"})
	})
}

// requestRate runs do on workers goroutines for a short warm-up (new
// connections, caches) and then d, and returns the completions per second
// of the measured part.
func requestRate(ctx context.Context, workers int, d time.Duration, do func(i int64) error) (float64, error) {
	var next, done atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	measureFrom, end := start.Add(ceilingWarmUp), start.Add(ceilingWarmUp+d)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(end) {
				if err := do(next.Add(1)); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if t := time.Now(); t.After(measureFrom) && t.Before(end) {
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(done.Load()) / d.Seconds(), ctx.Err()
}
