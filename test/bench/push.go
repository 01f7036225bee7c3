package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

const pushNamespaces = 10

// pushObject names the i-th annotated Deployment, its Secret, and where
// Vault should hold its value. Every fifth one uses explicit mode.
type pushObject struct {
	ns, dep, secret string
	explicit        bool
}

func pushObj(i int) pushObject {
	return pushObject{ns: fmt.Sprintf("bench-%d", i%pushNamespaces), dep: fmt.Sprintf("d-%d", i), secret: fmt.Sprintf("s-%d", i), explicit: i%5 == 0}
}

// vaultPath and key where the Secret's "v" lands.
func (o pushObject) vaultPath() (string, string) {
	if o.explicit {
		return fmt.Sprintf("secret/data/bench/%s/%s", o.ns, o.dep), "x_v"
	}
	return fmt.Sprintf("secret/data/bench/%s/%s/%s", o.ns, o.dep, o.secret), "v"
}

func createPushObjects(ctx context.Context, c client.Client, env *e2e.Env, n int) error {
	for k := 0; k < pushNamespaces; k++ {
		if err := env.EnsureNamespace(ctx, fmt.Sprintf("bench-%d", k)); err != nil {
			return err
		}
	}
	return parallel(n, 32, func(i int) error {
		o := pushObj(i)
		if err := c.Create(ctx, e2e.NewSecret(o.ns, o.secret, "v", "initial", "other", "x")); err != nil {
			return err
		}
		ann := map[string]string{pushsync.AnnotationPath: fmt.Sprintf("secret/data/bench/%s/%s", o.ns, o.dep)}
		if o.explicit {
			ann[pushsync.AnnotationSecrets] = fmt.Sprintf(`[{"name":%q,"keys":["v"],"prefix":"x_"}]`, o.secret)
		}
		return c.Create(ctx, e2e.NewDeployment(o.ns, o.dep, ann, o.secret))
	})
}

// pushedCount counts the Deployments whose data is in Vault (one LIST per namespace).
func pushedCount(ctx context.Context, env *e2e.Env) int {
	total := 0
	for k := 0; k < pushNamespaces; k++ {
		s, err := env.Vault.Root.Logical().ListWithContext(ctx, fmt.Sprintf("secret/metadata/bench/bench-%d", k))
		if err != nil || s == nil {
			continue
		}
		keys, _ := s.Data["keys"].([]any)
		total += len(keys)
	}
	return total
}

// createUnrelatedSecrets adds n Secrets of 4 KiB that no Deployment uses,
// in namespaces of their own.
func createUnrelatedSecrets(ctx context.Context, c client.Client, env *e2e.Env, n int) error {
	const nss = 20
	for k := 0; k < nss; k++ {
		if err := env.EnsureNamespace(ctx, fmt.Sprintf("unrelated-%d", k)); err != nil {
			return err
		}
	}
	payload := make([]byte, 4096)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	return parallel(n, 32, func(i int) error {
		return c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("unrelated-%d", i%nss), Name: fmt.Sprintf("u-%d", i)},
			Data: map[string][]byte{"blob": payload}})
	})
}
