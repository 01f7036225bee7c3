package cluster

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestPushDeletionOnAWholeCluster deletes annotated Deployments with
// background and foreground propagation: their Vault data is removed once
// and only once, and their ReplicaSets and pods go as usual.
func TestPushDeletionOnAWholeCluster(t *testing.T) {
	for ns, policy := range map[string]metav1.DeletionPropagation{"push-bg": metav1.DeletePropagationBackground, "push-fg": metav1.DeletePropagationForeground} {
		t.Run(string(policy), func(t *testing.T) {
			RegisterTestingT(t)
			ctx := context.Background()
			Expect(env.EnsureNamespace(ctx, ns)).To(Succeed())
			env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
			labels := map[string]string{"app": "web"}
			two := int32(2)
			dep := e2e.NewDeployment(ns, "web", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds")
			dep.Spec.Replicas = &two
			env.Create(dep)
			Eventually(func() int { return len(env.ReadyPods(ns, labels)) }, 60*time.Second, 250*time.Millisecond).Should(Equal(2))
			Eventually(func() bool { return env.ReadKV("secret/data/"+ns+"/creds") != nil }, 20*time.Second).Should(BeTrue())

			deletes := op.Metric("vault_sync_operator_vault_requests_total", "kind", "delete")
			before := deletes()
			Expect(before).NotTo(Equal(-1.0), "the metrics endpoint answers")
			Expect(env.Client.Delete(ctx, e2e.Get(env.Client, ns, "web", &appsv1.Deployment{}), client.PropagationPolicy(policy))).To(Succeed())
			Eventually(env.Gone(ns, "web", &appsv1.Deployment{}), 60*time.Second, 250*time.Millisecond).Should(BeTrue())
			Eventually(func() int {
				var pl corev1.PodList
				_ = env.Client.List(ctx, &pl, client.InNamespace(ns))
				return len(pl.Items) + len(env.ReplicaSets(ns, "web"))
			}, 60*time.Second, 250*time.Millisecond).Should(Equal(0))
			Expect(env.ReadKV("secret/metadata/" + ns + "/creds")).To(BeNil())
			Expect(deletes()-before).To(Equal(1.0), "the Vault data is deleted once and only once")
		})
	}
}
