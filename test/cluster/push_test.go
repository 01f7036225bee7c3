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
)

// TestPushDeletionOnAWholeCluster deletes annotated Deployments with
// background and foreground propagation: their Vault data is removed once
// and only once, and their ReplicaSets and pods go as usual.
func TestPushDeletionOnAWholeCluster(t *testing.T) {
	for ns, policy := range map[string]metav1.DeletionPropagation{"push-bg": metav1.DeletePropagationBackground, "push-fg": metav1.DeletePropagationForeground} {
		t.Run(string(policy), func(t *testing.T) {
			RegisterTestingT(t)
			ctx := context.Background()
			Expect(testRig.EnsureNamespace(ctx, ns)).To(Succeed())
			Expect(testRig.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"}, StringData: map[string]string{"k": "v"}})).To(Succeed())
			labels := map[string]string{"app": "web"}
			two := int32(2)
			dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", Annotations: map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}},
				Spec: appsv1.DeploymentSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx",
						EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}}}}}}}}}
			Expect(testRig.Client.Create(ctx, dep)).To(Succeed())
			Eventually(func() int { return len(readyPods(ns, labels)) }, 60*time.Second, 250*time.Millisecond).Should(Equal(2))
			Eventually(func() bool {
				s, _ := testRig.Vault.Root.Logical().Read("secret/data/" + ns + "/creds")
				return s != nil
			}, 20*time.Second).Should(BeTrue())

			before, err := op.Scrape()
			Expect(err).NotTo(HaveOccurred())
			Expect(testRig.Client.Delete(ctx, get(ns, "web", &appsv1.Deployment{}), client.PropagationPolicy(policy))).To(Succeed())
			Eventually(func() bool { return get(ns, "web", &appsv1.Deployment{}) == nil }, 60*time.Second, 250*time.Millisecond).Should(BeTrue())
			Eventually(func() int {
				var pl corev1.PodList
				_ = testRig.Client.List(ctx, &pl, client.InNamespace(ns))
				return len(pl.Items) + len(replicaSets(ns, "web"))
			}, 60*time.Second, 250*time.Millisecond).Should(Equal(0))
			s, _ := testRig.Vault.Root.Logical().Read("secret/metadata/" + ns + "/creds")
			Expect(s).To(BeNil())
			after, err := op.Scrape()
			Expect(err).NotTo(HaveOccurred())
			deletes := after.Sum("vault_sync_operator_vault_requests_total", "kind", "delete") - before.Sum("vault_sync_operator_vault_requests_total", "kind", "delete")
			Expect(deletes).To(Equal(1.0), "the Vault data is deleted once and only once")
		})
	}
}
