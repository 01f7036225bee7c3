package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// rotationPhase changes m plain VaultApps' values in Vault at once and
// measures, for each, the time until its Deployment's pod template carries
// a new secret version (and, on the whole-cluster rig, its pods were
// replaced); then checks every Secret holds the new value.
func (b *bench) rotationPhase(ctx context.Context) error {
	g := appGroups(b.cfg)[0]
	m := min(b.cfg.m, g.count)
	step("rotation: changing %d values in Vault at once", m)
	lat, err := rotate(ctx, b.c, b.env, g, m, b.cfg.cluster)
	if err != nil {
		return err
	}
	what := "Secret + pod template"
	if b.cfg.cluster {
		what = "pods replaced"
	}
	b.s.add(fmt.Sprintf("pull: Vault change -> %s p50 / p99 (s, refresh %s)", what, b.cfg.refresh), "%.2f / %.2f",
		val("pull_rotation_p50_s", percentile(lat, 0.5)), val("pull_rotation_p99_s", percentile(lat, 0.99)))
	return nil
}

func rotate(ctx context.Context, c client.WithWatch, env *e2e.Env, g appGroup, m int, waitRollout bool) ([]time.Duration, error) {
	before := map[client.ObjectKey]string{} // the template's secret version before the change
	values := map[client.ObjectKey]string{}
	var order []int
	for j := 0; j < m; j++ {
		i := (j * 7919) % g.count
		var d appsv1.Deployment
		if err := c.Get(ctx, g.key(i), &d); err != nil {
			return nil, err
		}
		before[g.key(i)] = d.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]
		values[g.key(i)] = fmt.Sprintf("rotated-%d-%d", j, time.Now().UnixNano())
		order = append(order, i)
	}
	w := watchFirst(ctx, c, &appsv1.DeploymentList{}, func(d *appsv1.Deployment) bool {
		old, rotated := before[client.ObjectKeyFromObject(d)]
		return rotated && d.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation] != old && (!waitRollout || e2e.RolledOut(d))
	})
	defer w.stop()
	start := time.Now()
	for _, i := range order {
		if err := env.Vault.PutKV(ctx, g.vaultPath(i), map[string]any{"password": values[g.key(i)]}); err != nil {
			return nil, err
		}
	}
	rotated := func(k client.ObjectKey) bool { _, ok := before[k]; return ok }
	if _, err := w.waitFor(ctx, len(before), rotated, 3*time.Minute); err != nil {
		return nil, fmt.Errorf("rotation not seen: %w", err)
	}
	var lat []time.Duration
	w.mu.Lock()
	for k := range before {
		lat = append(lat, w.at[k].Sub(start))
	}
	w.mu.Unlock()
	for k, v := range values {
		var s corev1.Secret
		if err := c.Get(ctx, client.ObjectKey{Namespace: k.Namespace, Name: appv1alpha1.SecretNameFor(k.Name)}, &s); err != nil {
			return nil, err
		}
		if string(s.Data["password"]) != v {
			return nil, fmt.Errorf("the pod template of %s changed but its Secret does not hold the rotated value", k)
		}
	}
	return lat, nil
}
