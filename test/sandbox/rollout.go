package main

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

var sample = client.ObjectKey{Namespace: "default", Name: "billing-service"}

// showRollout waits for the sample's pods, changes a value in Vault and
// shows the rollout that follows, as `kubectl get pods` would.
func showRollout(ctx context.Context, env *e2e.Env) error {
	if err := waitFor(ctx, func() bool { return rolledOut(ctx, env) }); err != nil {
		return fmt.Errorf("billing-service pods did not become Ready: %w", err)
	}
	say("pull: the sample's pods (kubectl get pods -l app=billing-service):")
	printPods(ctx, env)
	before := version(ctx, env)
	say("changing kv/billing/database in Vault (vault kv put kv/billing/database url=postgres://rotated)")
	if err := env.Vault.PutKV(ctx, "kv/data/billing/database", map[string]any{"url": "postgres://rotated@db.internal:5432/billing"}); err != nil {
		return err
	}
	if err := waitFor(ctx, func() bool { return version(ctx, env) != before && rolledOut(ctx, env) }); err != nil {
		return fmt.Errorf("no rollout after the change: %w", err)
	}
	say("pull: rolled out: %s %s -> %s", appv1alpha1.SecretVersionAnnotation, before, version(ctx, env))
	printPods(ctx, env)
	return nil
}

func version(ctx context.Context, env *e2e.Env) string {
	var d appsv1.Deployment
	if env.Client.Get(ctx, sample, &d) != nil {
		return ""
	}
	return d.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]
}

// rolledOut: every replica runs the current template and is available.
func rolledOut(ctx context.Context, env *e2e.Env) bool {
	var d appsv1.Deployment
	return env.Client.Get(ctx, sample, &d) == nil && e2e.RolledOut(&d)
}

func printPods(ctx context.Context, env *e2e.Env) {
	var pods corev1.PodList
	_ = env.Client.List(ctx, &pods, client.InNamespace("default"), client.MatchingLabels{"app": "billing-service"})
	fmt.Printf("  %-40s %-8s %-10s %s\n", "NAME", "READY", "STATUS", "NODE")
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		ready := "0/1"
		if e2e.PodReady(&p) {
			ready = "1/1"
		}
		fmt.Printf("  %-40s %-8s %-10s %s\n", p.Name, ready, strings.ToLower(string(p.Status.Phase)), p.Spec.NodeName)
	}
}
