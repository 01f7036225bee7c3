package cluster

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestSampleRollsOutAndRotates is the reference VaultApp on a whole
// cluster: its 3 pods become Ready, a value changed in Vault rolls them
// through a new ReplicaSet, an unchanged value or an operator restart rolls
// nothing, and deleting the VaultApp lets the garbage collector remove
// everything it owned.
func TestSampleRollsOutAndRotates(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	env.PutKV("kv/data/billing/database", map[string]any{"url": "postgres://one"})
	env.PutKV("kv/data/billing/provider-x", map[string]any{"key": "px"})
	app := env.LoadVaultApp("config/samples/app_v1alpha1_vaultapp.yaml")
	env.Create(app)
	ns, name := app.Namespace, app.Name
	labels := map[string]string{"app": "billing-service"}

	Eventually(env.Condition(ns, name, appv1alpha1.ConditionReady), 60*time.Second, 250*time.Millisecond).Should(Equal("True/Succeeded"))
	Expect(env.Condition(ns, name, appv1alpha1.ConditionDeploymentReady)()).To(Equal("True/DeploymentAvailable"))
	pods := env.ReadyPods(ns, labels)
	Expect(pods).To(HaveLen(3))
	for _, p := range pods {
		Expect(p.Spec.Containers[0].VolumeMounts).To(ContainElement(corev1.VolumeMount{Name: "vault-secrets", MountPath: "/etc/secrets/vault", ReadOnly: true}))
		Expect(p.Spec.NodeName).NotTo(BeEmpty())
	}
	Expect(env.ReplicaSets(ns, name)).To(HaveLen(1))
	firstRS := env.ReplicaSets(ns, name)[0].Name

	// Unchanged Vault and an operator restart: no new ReplicaSet, no pod replaced.
	Expect(op.Restart()).To(Succeed())
	Consistently(func() int { return len(env.ReplicaSets(ns, name)) }, 15*time.Second, time.Second).Should(Equal(1))
	Expect(env.ReadyPods(ns, labels)).To(ConsistOf(pods))

	// A changed value rolls the pods.
	env.PutKV("kv/data/billing/database", map[string]any{"url": "postgres://two"})
	Eventually(func() int { return len(env.ReplicaSets(ns, name)) }, 30*time.Second, 250*time.Millisecond).Should(Equal(2))
	Eventually(func() bool {
		d := e2e.Get(env.Client, ns, name, &appsv1.Deployment{})
		return d != nil && e2e.RolledOut(d)
	}, 60*time.Second, 250*time.Millisecond).Should(BeTrue())
	for _, p := range env.ReadyPods(ns, labels) {
		Expect(p.OwnerReferences[0].Name).NotTo(Equal(firstRS), "old pods were replaced")
	}
	Expect(string(env.AppSecretData(ns, name)["db_url"])).To(Equal("postgres://two"))
	Eventually(env.Condition(ns, name, appv1alpha1.ConditionReady), 30*time.Second).Should(Equal("True/Succeeded"))

	// Deletion: the real garbage collector removes everything the VaultApp owned.
	Expect(env.Client.Delete(ctx, app, client.PropagationPolicy(metav1.DeletePropagationBackground))).To(Succeed())
	Eventually(func() []string {
		var left []string
		for _, o := range []client.Object{&appsv1.Deployment{}, &corev1.Secret{}, &corev1.Service{}, &monitoringv1.ServiceMonitor{}} {
			nm := name
			if _, ok := o.(*corev1.Secret); ok {
				nm = "billing-service-vault-secrets"
			}
			if env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: nm}, o) == nil {
				left = append(left, nm)
			}
		}
		if n := len(env.ReplicaSets(ns, name)); n > 0 {
			left = append(left, "replicasets")
		}
		var pl corev1.PodList
		_ = env.Client.List(ctx, &pl, client.InNamespace(ns), client.MatchingLabels(labels))
		if len(pl.Items) > 0 {
			left = append(left, "pods")
		}
		return left
	}, 60*time.Second, 500*time.Millisecond).Should(BeEmpty())
}

// TestUnschedulableAppShowsTheDeploymentsReason: pods that never become
// Ready give DeploymentReady=False with the Deployment's own reason.
func TestUnschedulableAppShowsTheDeploymentsReason(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(env.EnsureNamespace(ctx, "stuck")).To(Succeed())
	env.PutKV("kv/data/stuck/db", map[string]any{"k": "v"})
	deadline := int32(5)
	app := e2e.NewVaultApp("stuck", "stuck", "billing-app", appv1alpha1.SecretRef{Path: "kv/data/stuck/db", Key: "k", TargetKey: "k"})
	app.Spec.DeploymentSpec.ProgressDeadlineSeconds = &deadline
	app.Spec.DeploymentSpec.Template.Spec.NodeSelector = map[string]string{"no-such": "node"}
	env.Create(app)
	Eventually(env.Condition("stuck", "stuck", appv1alpha1.ConditionDeploymentReady), 60*time.Second, 500*time.Millisecond).
		Should(Equal("False/ProgressDeadlineExceeded"))
	Expect(env.Condition("stuck", "stuck", appv1alpha1.ConditionReady)()).To(Equal("False/ProgressDeadlineExceeded"))
}
