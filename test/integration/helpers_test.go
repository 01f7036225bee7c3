package integration

import (
	"context"
	"maps"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// newApp is a small VaultApp in ns reading the given entries with role
// "apps", refreshed every 10s, with a named metrics port.
func newApp(ns, name string, secrets ...appv1alpha1.SecretRef) *appv1alpha1.VaultApp {
	app := e2e.NewVaultApp(ns, name, "apps", secrets...)
	app.Spec.DeploymentSpec.Template.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}
	app.Spec.Vault.RefreshInterval = appv1alpha1.NewDuration(10 * time.Second)
	return app
}

// pushedCreds creates, in a namespace of its own named after prefix, the
// Secret "creds" (k=v) and the Deployment "app" pushing it to
// secret/data/<namespace> (annotated with ann too), waits until Vault holds
// it, and returns the namespace.
func pushedCreds(prefix string, ann map[string]string) string {
	ns := env.Namespace(prefix)
	env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
	annotations := map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}
	maps.Copy(annotations, ann)
	env.Create(e2e.NewDeployment(ns, "app", annotations, "creds"))
	env.EventuallyKV("secret/data/" + ns + "/creds").WithOffset(1).ShouldNot(BeNil())
	return ns
}

// customMetadata reads the custom metadata of a KV v2 secret as root.
func customMetadata(path string) map[string]any {
	m, _ := env.ReadKV(path)["custom_metadata"].(map[string]any)
	return m
}

func ptr(s string) *string { return &s }

// patchAnnotations sets (or, with nil, removes) annotations of a Deployment.
func patchAnnotations(ns, name string, ann map[string]*string) {
	d := e2e.Get(env.Client, ns, name, &appsv1.Deployment{})
	patch := client.MergeFrom(d.DeepCopy())
	for k, v := range ann {
		if v == nil {
			delete(d.Annotations, k)
		} else {
			d.Annotations[k] = *v
		}
	}
	ExpectWithOffset(1, env.Client.Patch(context.Background(), d, patch)).To(Succeed())
}
