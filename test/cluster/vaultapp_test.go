package cluster

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

func condition(ns, name, t string) func() string {
	return func() string {
		app := get(ns, name, &appv1alpha1.VaultApp{})
		if app == nil {
			return ""
		}
		c := meta.FindStatusCondition(app.Status.Conditions, t)
		if c == nil {
			return ""
		}
		return string(c.Status) + "/" + c.Reason
	}
}

// TestSampleRollsOutAndRotates is the reference VaultApp on a whole
// cluster: its 3 pods become Ready, a value changed in Vault rolls them
// through a new ReplicaSet, an unchanged value or an operator restart rolls
// nothing, and deleting the VaultApp lets the garbage collector remove
// everything it owned.
func TestSampleRollsOutAndRotates(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	kvPut("kv/data/billing/database", map[string]any{"url": "postgres://one"})
	kvPut("kv/data/billing/provider-x", map[string]any{"key": "px"})
	b, err := os.ReadFile("../../config/samples/app_v1alpha1_vaultapp.yaml")
	Expect(err).NotTo(HaveOccurred())
	app := &appv1alpha1.VaultApp{}
	Expect(yaml.UnmarshalStrict(b, app)).To(Succeed())
	Expect(testRig.Client.Create(ctx, app)).To(Succeed())
	ns, name := app.Namespace, app.Name
	labels := map[string]string{"app": "billing-service"}

	Eventually(condition(ns, name, appv1alpha1.ConditionReady), 60*time.Second, 250*time.Millisecond).Should(Equal("True/Succeeded"))
	Expect(condition(ns, name, appv1alpha1.ConditionDeploymentReady)()).To(Equal("True/DeploymentAvailable"))
	pods := readyPods(ns, labels)
	Expect(pods).To(HaveLen(3))
	for _, p := range pods {
		Expect(p.Spec.Containers[0].VolumeMounts).To(ContainElement(corev1.VolumeMount{Name: "vault-secrets", MountPath: "/etc/secrets/vault", ReadOnly: true}))
		Expect(p.Spec.NodeName).NotTo(BeEmpty())
	}
	Expect(replicaSets(ns, name)).To(HaveLen(1))
	firstRS := replicaSets(ns, name)[0].Name

	// Unchanged Vault and an operator restart: no new ReplicaSet, no pod replaced.
	restartOperator()
	Consistently(func() int { return len(replicaSets(ns, name)) }, 15*time.Second, time.Second).Should(Equal(1))
	Expect(readyPods(ns, labels)).To(ConsistOf(pods))

	// A changed value rolls the pods.
	kvPut("kv/data/billing/database", map[string]any{"url": "postgres://two"})
	Eventually(func() int { return len(replicaSets(ns, name)) }, 30*time.Second, 250*time.Millisecond).Should(Equal(2))
	Eventually(func() bool {
		d := get(ns, name, &appsv1.Deployment{})
		return d != nil && d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == 3 &&
			d.Status.AvailableReplicas == 3 && d.Status.Replicas == 3
	}, 60*time.Second, 250*time.Millisecond).Should(BeTrue())
	for _, p := range readyPods(ns, labels) {
		Expect(p.OwnerReferences[0].Name).NotTo(Equal(firstRS), "old pods were replaced")
	}
	Expect(string(get(ns, "billing-service-vault-secrets", &corev1.Secret{}).Data["db_url"])).To(Equal("postgres://two"))
	Eventually(condition(ns, name, appv1alpha1.ConditionReady), 30*time.Second).Should(Equal("True/Succeeded"))

	// Deletion: the real garbage collector removes everything the VaultApp owned.
	Expect(testRig.Client.Delete(ctx, app, client.PropagationPolicy(metav1.DeletePropagationBackground))).To(Succeed())
	Eventually(func() []string {
		var left []string
		for _, o := range []client.Object{&appsv1.Deployment{}, &corev1.Secret{}, &corev1.Service{}, &monitoringv1.ServiceMonitor{}} {
			nm := name
			if _, ok := o.(*corev1.Secret); ok {
				nm = "billing-service-vault-secrets"
			}
			if testRig.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: nm}, o) == nil {
				left = append(left, nm)
			}
		}
		if n := len(replicaSets(ns, name)); n > 0 {
			left = append(left, "replicasets")
		}
		var pl corev1.PodList
		_ = testRig.Client.List(ctx, &pl, client.InNamespace(ns), client.MatchingLabels(labels))
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
	Expect(testRig.EnsureNamespace(ctx, "stuck")).To(Succeed())
	kvPut("kv/data/stuck/db", map[string]any{"k": "v"})
	deadline := int32(5)
	labels := map[string]string{"app": "stuck"}
	app := &appv1alpha1.VaultApp{ObjectMeta: metav1.ObjectMeta{Namespace: "stuck", Name: "stuck"},
		Spec: appv1alpha1.VaultAppSpec{
			DeploymentSpec: appsv1.DeploymentSpec{ProgressDeadlineSeconds: &deadline, Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"no-such": "node"},
					Containers:   []corev1.Container{{Name: "app", Image: "example.com/app:1"}}}}},
			Vault: appv1alpha1.VaultSpec{Role: "billing-app", Secrets: []appv1alpha1.SecretRef{{Path: "kv/data/stuck/db", Key: "k", TargetKey: "k"}}},
		}}
	Expect(testRig.Client.Create(ctx, app)).To(Succeed())
	Eventually(condition("stuck", "stuck", appv1alpha1.ConditionDeploymentReady), 60*time.Second, 500*time.Millisecond).
		Should(Equal("False/ProgressDeadlineExceeded"))
	Expect(condition("stuck", "stuck", appv1alpha1.ConditionReady)()).To(Equal("False/ProgressDeadlineExceeded"))
}
