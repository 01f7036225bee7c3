package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// runSetupScript runs examples/vault/setup.sh with the vault CLI against the
// sandbox's Vault.
func runSetupScript(ctx context.Context, root string, r *rig.Rig) error {
	cmd := exec.CommandContext(ctx, filepath.Join(root, "examples/vault/setup.sh"))
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Dir(r.Binaries.Vault)+":"+os.Getenv("PATH"),
		"VAULT_ADDR="+r.Vault.DirectAddr, "VAULT_TOKEN="+r.Vault.RootToken,
		"K8S_HOST="+r.RestConfig.Host, "K8S_CA_FILE="+r.CAFile, "REVIEWER_JWT="+r.ReviewerJWT)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("examples/vault/setup.sh: %w\n%s", err, out)
	}
	return nil
}

// report waits for both jobs and prints what the operator did.
func report(ctx context.Context, r *rig.Rig) error {
	for _, p := range []string{"secret/data/my-app", "secret/data/web/web-db", "secret/data/web/web-api"} {
		data, err := waitVault(ctx, r, p)
		if err != nil {
			return err
		}
		say("push: vault %s now holds keys %s", p, strings.Join(keys(data), ", "))
	}
	var app appv1alpha1.VaultApp
	key := client.ObjectKey{Namespace: "default", Name: "billing-service"}
	if err := waitFor(ctx, func() bool {
		if r.Client.Get(ctx, key, &app) != nil {
			return false
		}
		c := meta.FindStatusCondition(app.Status.Conditions, appv1alpha1.ConditionSecretsSynced)
		return c != nil && c.Status == "True"
	}); err != nil {
		return fmt.Errorf("VaultApp billing-service did not sync: %w", err)
	}
	var sec corev1.Secret
	_ = r.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: app.Status.SecretName}, &sec)
	say("pull: Secret default/%s holds keys %s", sec.Name, strings.Join(keys(sec.Data), ", "))
	var dep appsv1.Deployment
	_ = r.Client.Get(ctx, key, &dep)
	say("pull: Deployment default/%s (replicas %d) mounts it at %s, %s=%s", dep.Name, *dep.Spec.Replicas,
		appv1alpha1.SecretsMountPath, appv1alpha1.SecretVersionAnnotation, dep.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation])
	_ = r.Client.Get(ctx, key, &app)
	for _, c := range app.Status.Conditions {
		say("pull: condition %s=%s (%s) %s", c.Type, c.Status, c.Reason, c.Message)
	}
	return nil
}

func waitVault(ctx context.Context, r *rig.Rig, path string) (map[string]any, error) {
	var data map[string]any
	err := waitFor(ctx, func() bool {
		s, err := r.Vault.Root.Logical().ReadWithContext(ctx, path)
		if err != nil || s == nil {
			return false
		}
		data, _ = s.Data["data"].(map[string]any)
		return data != nil
	})
	if err != nil {
		return nil, fmt.Errorf("vault %s was not written: %w", path, err)
	}
	return data, nil
}

func waitFor(ctx context.Context, ok func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
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
