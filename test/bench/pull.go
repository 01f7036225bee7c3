package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

const pullNamespaces = 10

func appKey(i int) client.ObjectKey {
	return client.ObjectKey{Namespace: fmt.Sprintf("pull-%d", i%pullNamespaces), Name: fmt.Sprintf("app-%d", i)}
}

func createVaultApps(ctx context.Context, c client.Client, env *e2e.Env, n int, refresh time.Duration) error {
	if err := env.WriteOperatorRole(ctx, "bench-apps", e2e.ReadPolicy("kv/*"), ""); err != nil {
		return err
	}
	for k := 0; k < pullNamespaces; k++ {
		if err := env.EnsureNamespace(ctx, fmt.Sprintf("pull-%d", k)); err != nil {
			return err
		}
	}
	if err := parallel(n, 16, func(i int) error {
		return env.Vault.PutKV(ctx, fmt.Sprintf("kv/data/bench/app-%d", i), map[string]any{"password": "initial"})
	}); err != nil {
		return err
	}
	return parallel(n, 32, func(i int) error {
		k := appKey(i)
		app := e2e.NewVaultApp(k.Namespace, k.Name, "bench-apps",
			appv1alpha1.SecretRef{Path: fmt.Sprintf("kv/data/bench/app-%d", i), Key: "password", TargetKey: "password"})
		app.Spec.Vault.RefreshInterval = appv1alpha1.NewDuration(refresh)
		return c.Create(ctx, app)
	})
}

// appsSynced counts VaultApps whose Secret and Deployment exist.
func appsSynced(ctx context.Context, c client.Client) int {
	var list appv1alpha1.VaultAppList
	if err := c.List(ctx, &list); err != nil {
		return 0
	}
	n := 0
	for _, a := range list.Items {
		if a.Status.SecretVersion != "" && meta.IsStatusConditionTrue(a.Status.Conditions, appv1alpha1.ConditionSecretsSynced) {
			n++
		}
	}
	return n
}

// rotate changes m values in Vault at once and measures, for each, the
// time until the Secret and the Deployment's secret-version annotation follow.
//
// With waitRollout (whole-cluster rig) it also waits until the Deployment
// has replaced its pods: every replica updated and available.
func rotate(ctx context.Context, c client.Client, env *e2e.Env, n, m int, waitRollout bool) ([]time.Duration, error) {
	type pending struct {
		i       int
		val     string
		version string
	}
	var ps []pending
	for j := 0; j < m; j++ {
		i := (j * 7919) % n
		var d appsv1.Deployment
		if err := c.Get(ctx, appKey(i), &d); err != nil {
			return nil, err
		}
		ps = append(ps, pending{i: i, val: fmt.Sprintf("rotated-%d", time.Now().UnixNano()), version: d.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]})
	}
	start := time.Now()
	for _, p := range ps {
		if err := env.Vault.PutKV(ctx, fmt.Sprintf("kv/data/bench/app-%d", p.i), map[string]any{"password": p.val}); err != nil {
			return nil, err
		}
	}
	lat := make([]time.Duration, len(ps))
	err := parallel(len(ps), len(ps), func(j int) error {
		p := ps[j]
		k := appKey(p.i)
		ok := poll(ctx, 50*time.Millisecond, 2*time.Minute, func() bool {
			var s corev1.Secret
			var d appsv1.Deployment
			if c.Get(ctx, client.ObjectKey{Namespace: k.Namespace, Name: appv1alpha1.SecretNameFor(k.Name)}, &s) != nil ||
				string(s.Data["password"]) != p.val || c.Get(ctx, k, &d) != nil {
				return false
			}
			if d.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation] == p.version {
				return false
			}
			return !waitRollout || e2e.RolledOut(&d)
		})
		if !ok {
			var s corev1.Secret
			var d appsv1.Deployment
			_ = c.Get(ctx, client.ObjectKey{Namespace: k.Namespace, Name: appv1alpha1.SecretNameFor(k.Name)}, &s)
			_ = c.Get(ctx, k, &d)
			return fmt.Errorf("rotation of %s not seen in 2m (secret updated: %v, template version changed: %v, generation %d, status %+v)", k,
				string(s.Data["password"]) == p.val, d.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation] != p.version, d.Generation, d.Status)
		}
		lat[j] = time.Since(start)
		return nil
	})
	return lat, err
}
