package tenancy

import (
	"context"
	"fmt"
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

// collision is an object in team-a that someone else made, and the
// VaultApp mallory names so that it would manage it.
type collision struct {
	app string
	// condition is where the VaultApp reports the conflict.
	condition string
	object    client.Object
}

func collisions() []collision {
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: teamA, Name: name} }
	labelled := meta("clash-labelled-vault-secrets")
	// The labels the operator's cache selects its Secrets by: anyone may set them.
	labelled.Labels = map[string]string{appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue, appv1alpha1.VaultAppNameLabel: "clash-labelled"}
	port := []corev1.ServicePort{{Name: "metrics", Port: 8080}}
	return []collision{
		{"clash-deployment", appv1alpha1.ConditionDeploymentReady, e2e.NewDeployment(teamA, "clash-deployment", nil)},
		{"clash-secret", appv1alpha1.ConditionSecretsSynced, &corev1.Secret{ObjectMeta: meta("clash-secret-vault-secrets"), StringData: map[string]string{"k": "v"}}},
		{"clash-labelled", appv1alpha1.ConditionSecretsSynced, &corev1.Secret{ObjectMeta: labelled, StringData: map[string]string{"k": "v"}}},
		{"clash-service", appv1alpha1.ConditionMonitoringReady, &corev1.Service{ObjectMeta: meta("clash-service"), Spec: corev1.ServiceSpec{Ports: port}}},
		{"clash-monitor", appv1alpha1.ConditionMonitoringReady, &monitoringv1.ServiceMonitor{ObjectMeta: meta("clash-monitor"),
			Spec: monitoringv1.ServiceMonitorSpec{Endpoints: []monitoringv1.Endpoint{{Port: "metrics"}}}}},
	}
}

// monitoredApp is a static team-a VaultApp with a named metrics port,
// scraped (a Service and a ServiceMonitor) when monitored.
func monitoredApp(name string, monitored bool) *appv1alpha1.VaultApp {
	app := staticApp(teamA, name)
	app.Spec.DeploymentSpec.Template.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "metrics", ContainerPort: 8080}}
	if monitored {
		app.Spec.Monitoring = &appv1alpha1.MonitoringSpec{Enabled: true}
	}
	return app
}

// TestNameCollisionsTakeNothingOver: mallory names VaultApps after a
// Deployment, a Secret <name>-vault-secrets (also one carrying the
// operator's labels), a Service and a ServiceMonitor of team-a that the
// VaultApps did not create. Each VaultApp reports NameConflict; the
// object is not changed and gets no owner; deleting the VaultApps, while
// the garbage collector removes what they did create, leaves the objects.
func TestNameCollisionsTakeNothingOver(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	cs := collisions()
	versions := map[string]string{}
	for _, c := range cs {
		env.Create(c.object)
		versions[c.app] = fingerprint(c.object)
	}
	for _, c := range cs {
		createAs(mallory, monitoredApp(c.app, c.condition == appv1alpha1.ConditionMonitoringReady))
	}
	for _, c := range cs {
		expectRefused(teamA, c.app, c.condition, appv1alpha1.ReasonNameConflict)
		Expect(env.ConditionMessage(teamA, c.app, c.condition)).To(ContainSubstring(appv1alpha1.AdoptAnnotation), "says how to hand it over")
		expectUntouched(c, versions[c.app])
	}
	// clash-service got its Secret and Deployment before its Service clashed.
	Expect(e2e.Get(env.Client, teamA, "clash-service", &appsv1.Deployment{})).NotTo(BeNil())

	for _, c := range cs {
		Expect(mallory.Delete(ctx, e2e.Get(env.Client, teamA, c.app, &appv1alpha1.VaultApp{}))).To(Succeed())
	}
	Eventually(env.Gone(teamA, "clash-service", &appsv1.Deployment{}), 30*time.Second, 250*time.Millisecond).
		Should(BeTrue(), "the garbage collector removes what the VaultApp created")
	for _, c := range cs {
		Consistently(func() string { return fingerprint(c.object) }, 2*time.Second, 250*time.Millisecond).
			Should(Equal(versions[c.app]), "%T %s", c.object, c.object.GetName())
	}
	expectNoHarm()
}

// TestAdoptionIsExplicit: the documented opt-in hands an existing Service
// over: annotated vaultapp.techweaver.io/adopt=<vaultapp>, it becomes the
// VaultApp's (controlled by it, so deleting the VaultApp deletes it).
func TestAdoptionIsExplicit(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: teamA, Name: "adopted",
		Annotations: map[string]string{appv1alpha1.AdoptAnnotation: "adopted"}},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "metrics", Port: 8080}}}}
	env.Create(svc)
	createAs(mallory, monitoredApp("adopted", true))
	Eventually(env.Condition(teamA, "adopted", appv1alpha1.ConditionMonitoringReady), refusalTimeout, 200*time.Millisecond).
		Should(Equal("True/Succeeded"))
	app := e2e.Get(env.Client, teamA, "adopted", &appv1alpha1.VaultApp{})
	Expect(metav1.GetControllerOf(e2e.Get(env.Client, teamA, "adopted", &corev1.Service{})).UID).To(Equal(app.UID))

	Expect(mallory.Delete(ctx, app)).To(Succeed())
	Eventually(env.Gone(teamA, "adopted", &corev1.Service{}), 30*time.Second, 250*time.Millisecond).Should(BeTrue())
	expectNoHarm()
}

// expectUntouched: the object is as it was created (nothing wrote it) and
// has no owner.
func expectUntouched(c collision, version string) {
	ExpectWithOffset(1, fingerprint(c.object)).To(Equal(version), "%T %s was written", c.object, c.object.GetName())
	cur := c.object.DeepCopyObject().(client.Object)
	ExpectWithOffset(1, env.Client.Get(context.Background(), client.ObjectKeyFromObject(c.object), cur)).To(Succeed())
	ExpectWithOffset(1, cur.GetOwnerReferences()).To(BeEmpty(), "%T %s got an owner", c.object, c.object.GetName())
}

// fingerprint changes when anyone but the cluster's own controllers
// writes obj ("" when it is gone): its resource version, or for a
// Deployment (whose status the Deployment controller writes) its
// generation and labels.
func fingerprint(obj client.Object) string {
	cur := obj.DeepCopyObject().(client.Object)
	if env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), cur) != nil {
		return ""
	}
	if _, ok := cur.(*appsv1.Deployment); ok {
		return fmt.Sprintf("generation %d, labels %v", cur.GetGeneration(), cur.GetLabels())
	}
	return cur.GetResourceVersion()
}
