package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// report waits for both jobs and prints what the operator did.
func report(ctx context.Context, env *e2e.Env) error {
	for _, p := range []string{"secret/data/my-app", "secret/data/web/web-db", "secret/data/web/web-api"} {
		data, err := waitVault(ctx, env, p)
		if err != nil {
			return err
		}
		say("push: vault %s now holds keys %s", p, strings.Join(keys(data), ", "))
	}
	var app appv1alpha1.VaultApp
	key := client.ObjectKey{Namespace: "default", Name: "billing-service"}
	if err := waitFor(ctx, func() bool {
		c := env.AppCondition(key.Namespace, key.Name, appv1alpha1.ConditionSecretsSynced)
		return c != nil && c.Status == metav1.ConditionTrue
	}); err != nil {
		return fmt.Errorf("VaultApp billing-service did not sync: %w", err)
	}
	var sec corev1.Secret
	_ = env.Client.Get(ctx, key, &app)
	_ = env.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: app.Status.SecretName}, &sec)
	say("pull: Secret default/%s holds keys %s", sec.Name, strings.Join(keys(sec.Data), ", "))
	var dep appsv1.Deployment
	_ = env.Client.Get(ctx, key, &dep)
	say("pull: Deployment default/%s (replicas %d) mounts it at %s, %s=%s", dep.Name, *dep.Spec.Replicas,
		appv1alpha1.SecretsMountPath, appv1alpha1.SecretVersionAnnotation, dep.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation])
	for _, c := range app.Status.Conditions {
		say("pull: condition %s=%s (%s) %s", c.Type, c.Status, c.Reason, c.Message)
	}
	return nil
}

func waitVault(ctx context.Context, env *e2e.Env, path string) (map[string]any, error) {
	var data map[string]any
	if err := waitFor(ctx, func() bool { data = env.ReadKV(path); return data != nil }); err != nil {
		return nil, fmt.Errorf("vault %s was not written: %w", path, err)
	}
	return data, nil
}

// waitFor polls ok every 200ms for up to a minute.
func waitFor(ctx context.Context, ok func() bool) error {
	return e2e.WaitFor(ctx, 200*time.Millisecond, time.Minute, ok)
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func printHowTo(r *rig.Rig) {
	fmt.Printf(`
Look further from another shell:

  export KUBECONFIG=%s
  export VAULT_ADDR=%s VAULT_TOKEN=%s
  alias kubectl=%s vault=%s

  kubectl get vaultapps -A
  kubectl describe vaultapp billing-service
  kubectl get deployment my-app -o jsonpath='{.metadata.annotations.vault-sync\.io/state}'
  vault kv get secret/my-app
  vault kv put kv/billing/database url=postgres://new   # the Secret and the pod template follow
  kubectl patch secret my-app-secrets -p '{"stringData":{"password":"changed"}}'   # Vault follows
  kubectl delete deployment my-app                      # removed from Vault

`, r.Kubeconfig, r.Vault.Addr, r.Vault.RootToken, r.Binaries.Kubectl, r.Binaries.Vault)
}
