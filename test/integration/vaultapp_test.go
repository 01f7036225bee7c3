package integration

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

func TestVaultAppSampleEndToEnd(t *testing.T) {
	RegisterTestingT(t)
	env.PutKV("kv/data/billing/database", map[string]any{"url": "postgres://billing@db:5432/billing"})
	env.PutKV("kv/data/billing/provider-x", map[string]any{"key": "px-123", "unused": "x"})
	app := env.LoadVaultApp("config/samples/app_v1alpha1_vaultapp.yaml")
	env.Create(app)
	ns, name := app.Namespace, app.Name

	Eventually(env.Condition(ns, name, appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("True/Succeeded"))
	Expect(env.Condition(ns, name, appv1alpha1.ConditionVaultAuthenticated)()).To(Equal("True/Succeeded"))
	Eventually(env.Condition(ns, name, appv1alpha1.ConditionMonitoringReady), 10*time.Second).Should(Equal("True/Succeeded"))
	// envtest runs no deployment controller: the Deployment is never rolled out here.
	Expect(env.Condition(ns, name, appv1alpha1.ConditionDeploymentReady)()).To(Equal("False/DeploymentProgressing"))
	Expect(env.Condition(ns, name, appv1alpha1.ConditionReady)()).To(Equal("False/DeploymentProgressing"))
	got := e2e.Get(env.Client, ns, name, &appv1alpha1.VaultApp{})

	sec := e2e.Get(env.Client, ns, "billing-service-vault-secrets", &corev1.Secret{})
	Expect(sec).NotTo(BeNil())
	Expect(sec.Data).To(Equal(map[string][]byte{"db_url": []byte("postgres://billing@db:5432/billing"), "provider_x_api_key": []byte("px-123")}))
	Expect(sec.Type).To(Equal(corev1.SecretTypeOpaque))
	Expect(sec.Labels).To(HaveKeyWithValue(appv1alpha1.ManagedByLabel, appv1alpha1.ManagedByValue))
	Expect(got.Status.SecretName).To(Equal(sec.Name))
	Expect(got.Status.LastSecretUpdateTime).NotTo(BeNil())

	dep := e2e.Get(env.Client, ns, name, &appsv1.Deployment{})
	Expect(dep).NotTo(BeNil())
	Expect(*dep.Spec.Replicas).To(Equal(int32(3)))
	tpl := dep.Spec.Template
	Expect(tpl.Annotations).To(HaveKeyWithValue(appv1alpha1.SecretVersionAnnotation, got.Status.SecretVersion))
	Expect(tpl.Spec.Volumes).To(ContainElement(HaveField("Name", "vault-secrets")))
	Expect(tpl.Spec.Volumes[0].Secret.SecretName).To(Equal("billing-service-vault-secrets"))
	Expect(tpl.Spec.Containers[0].VolumeMounts).To(Equal([]corev1.VolumeMount{{Name: "vault-secrets", MountPath: "/etc/secrets/vault", ReadOnly: true}}))

	svc := e2e.Get(env.Client, ns, name, &corev1.Service{})
	Expect(svc).NotTo(BeNil())
	Expect(svc.Spec.Selector).To(Equal(map[string]string{"app": "billing-service"}))
	Expect(svc.Spec.Ports[0].Name).To(Equal("http-metrics"))
	Expect(svc.Spec.Ports[0].Port).To(Equal(int32(8081)))
	sm := e2e.Get(env.Client, ns, name, &monitoringv1.ServiceMonitor{})
	Expect(sm).NotTo(BeNil())
	Expect(sm.Spec.Endpoints).To(HaveLen(1))
	Expect(sm.Spec.Endpoints[0].Port).To(Equal("http-metrics"))
	Expect(sm.Spec.Endpoints[0].Path).To(Equal("/actuator/prometheus"))
	Expect(string(sm.Spec.Endpoints[0].Interval)).To(Equal("30s"))
	Expect(sm.Spec.Selector.MatchLabels).To(HaveKeyWithValue(appv1alpha1.VaultAppNameLabel, name))
	Expect(svc.Labels).To(HaveKeyWithValue(appv1alpha1.VaultAppNameLabel, name), "the ServiceMonitor selects the Service")

	// envtest runs no garbage collector: check that each owned object is
	// controlled by the VaultApp, so deletion removes it.
	for _, o := range []client.Object{sec, dep, svc, sm} {
		ref := metav1.GetControllerOf(o)
		Expect(ref).NotTo(BeNil(), "%T has no controller", o)
		Expect(ref.UID).To(Equal(got.UID))
		Expect(*ref.BlockOwnerDeletion).To(BeTrue())
	}
}

func TestVaultAppRotationRollsOnlyOnChange(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("rotate")
	env.PutKV("kv/data/"+ns+"/db", map[string]any{"password": "one"})
	env.Create(newApp(ns, "app", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "password", TargetKey: "password"}))
	Eventually(env.Condition(ns, "app", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("True/Succeeded"))
	dep := e2e.Get(env.Client, ns, "app", &appsv1.Deployment{})
	v1 := dep.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]
	updated := env.AppStatus(ns, "app").LastSecretUpdateTime

	// A refresh with nothing changed in Vault changes nothing.
	Consistently(func() string {
		return e2e.Get(env.Client, ns, "app", &appsv1.Deployment{}).ResourceVersion
	}, 12*time.Second, time.Second).Should(Equal(dep.ResourceVersion))
	Expect(env.AppStatus(ns, "app").LastSecretUpdateTime).To(Equal(updated))

	env.PutKV("kv/data/"+ns+"/db", map[string]any{"password": "two"})
	Eventually(func() string {
		return string(env.AppSecretData(ns, "app")["password"])
	}, 20*time.Second, 200*time.Millisecond).Should(Equal("two"))
	Eventually(func() string {
		return e2e.Get(env.Client, ns, "app", &appsv1.Deployment{}).Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]
	}, 5*time.Second).ShouldNot(Equal(v1))
	Expect(env.AppStatus(ns, "app").LastSecretUpdateTime.Time).To(BeTemporally(">", updated.Time))
	env.EventuallyEvent(ns, "app", "SecretRotated")
}

func TestVaultAppReadsKVv1AndKVv2WithoutDataAndEachPathOnce(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("kinds")
	env.PutKV("kv/data/"+ns+"/v2", map[string]any{"a": "from-v2", "b": "also-v2", "n": 42})
	_, err := env.Vault.Root.Logical().Write("kv1/"+ns+"/v1", map[string]any{"c": "from-v1"})
	Expect(err).NotTo(HaveOccurred())
	env.Create(newApp(ns, "app",
		appv1alpha1.SecretRef{Path: "kv/" + ns + "/v2", Key: "a", TargetKey: "a"},
		appv1alpha1.SecretRef{Path: "kv/" + ns + "/v2", Key: "b", TargetKey: "b"},
		appv1alpha1.SecretRef{Path: "kv/" + ns + "/v2", Key: "n", TargetKey: "n.json"},
		appv1alpha1.SecretRef{Path: "kv1/" + ns + "/v1", Key: "c", TargetKey: "c"}))
	Eventually(func() map[string][]byte { return env.AppSecretData(ns, "app") }, 20*time.Second).Should(Equal(map[string][]byte{"a": []byte("from-v2"), "b": []byte("also-v2"), "n.json": []byte("42"), "c": []byte("from-v1")}))
}

func TestVaultAppErrorsSetConditionsAndEvents(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("vaerr")
	env.PutKV("kv/data/"+ns+"/db", map[string]any{"user": "u", "pass": "p"})

	env.Create(newApp(ns, "nopath", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/missing", Key: "x", TargetKey: "x"}))
	Eventually(env.Condition(ns, "nopath", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("False/PathNotFound"))
	Expect(env.ConditionMessage(ns, "nopath", appv1alpha1.ConditionSecretsSynced)).To(ContainSubstring("kv/data/" + ns + "/missing"))
	Expect(env.Condition(ns, "nopath", appv1alpha1.ConditionReady)()).To(Equal("False/PathNotFound"))
	env.EventuallyEvent(ns, "nopath", "PathNotFound: failed to read kv/data/"+ns+"/missing")
	Expect(e2e.Get(env.Client, ns, "nopath", &appsv1.Deployment{})).To(BeNil(), "no Deployment without its Secret")

	env.Create(newApp(ns, "nokey", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "token", TargetKey: "t"}))
	Eventually(env.Condition(ns, "nokey", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("False/KeyNotFound"))
	Expect(env.ConditionMessage(ns, "nokey", appv1alpha1.ConditionSecretsSynced)).To(Equal(`spec.vault.secrets[0]: key "token" not found at vault path kv/data/` + ns + `/db (keys there: pass, user)`))
	env.EventuallyEvent(ns, "nokey", `KeyNotFound: spec.vault.secrets[0]: key "token" not found`)

	wrongRole := newApp(ns, "wrongrole", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "user", TargetKey: "u"})
	wrongRole.Spec.Vault.Role = "no-such-role"
	env.Create(wrongRole)
	Eventually(env.Condition(ns, "wrongrole", appv1alpha1.ConditionVaultAuthenticated), 20*time.Second).Should(Equal("False/AuthFailed"))
	Expect(env.ConditionMessage(ns, "wrongrole", appv1alpha1.ConditionVaultAuthenticated)).To(ContainSubstring("failed to authenticate with vault as role no-such-role"))
	env.EventuallyEvent(ns, "wrongrole", "AuthFailed: failed to authenticate with vault")

	denied := newApp(ns, "denied", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "user", TargetKey: "u"})
	denied.Spec.Vault.Role = "no-read"
	env.Create(denied)
	Eventually(env.Condition(ns, "denied", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("False/PermissionDenied"))
	Expect(env.Condition(ns, "denied", appv1alpha1.ConditionVaultAuthenticated)()).To(Equal("True/Succeeded"))
	env.EventuallyEvent(ns, "denied", "PermissionDenied: failed to read kv/data/"+ns+"/db: permission denied")

	// Values never reach conditions or events.
	for _, n := range []string{"nopath", "nokey", "wrongrole", "denied"} {
		for _, c := range env.AppStatus(ns, n).Conditions {
			Expect(c.Message).NotTo(SatisfyAny(ContainSubstring(`"u"`), ContainSubstring("pass\"")))
		}
	}
}

func TestVaultAppKeepsLastGoodSecretWhenVaultVersionIsDeleted(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("softdel")
	env.PutKV("kv/data/"+ns+"/db", map[string]any{"pass": "good"})
	env.Create(newApp(ns, "app", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "pass", TargetKey: "pass"}))
	Eventually(env.Condition(ns, "app", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("True/Succeeded"))
	_, err := env.Vault.Root.Logical().Delete("kv/data/" + ns + "/db") // soft-delete the latest version
	Expect(err).NotTo(HaveOccurred())
	Eventually(env.Condition(ns, "app", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("False/SecretDeleted"))
	Expect(env.AppSecretData(ns, "app")).To(Equal(map[string][]byte{"pass": []byte("good")}))
}

func TestVaultAppMonitoringToggles(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("mon")
	env.PutKV("kv/data/"+ns+"/db", map[string]any{"k": "v"})
	app := newApp(ns, "app", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "k", TargetKey: "k"})
	app.Spec.Monitoring = &appv1alpha1.MonitoringSpec{Enabled: true}
	env.Create(app)
	Eventually(func() *monitoringv1.ServiceMonitor {
		return e2e.Get(env.Client, ns, "app", &monitoringv1.ServiceMonitor{})
	}, 20*time.Second).ShouldNot(BeNil())
	sm := e2e.Get(env.Client, ns, "app", &monitoringv1.ServiceMonitor{})
	Expect(sm.Spec.Endpoints[0].Path).To(Equal("/metrics"), "path defaults to /metrics")
	Expect(sm.Spec.Endpoints[0].Port).To(Equal("metrics"), "port defaults to the first named container port")

	setMonitoring := func(enabled bool) {
		a := e2e.Get(env.Client, ns, "app", &appv1alpha1.VaultApp{})
		patch := client.MergeFrom(a.DeepCopy()) // no resourceVersion: the operator's status writes do not conflict
		a.Spec.Monitoring.Enabled = enabled
		ExpectWithOffset(1, env.Client.Patch(context.Background(), a, patch)).To(Succeed())
	}
	setMonitoring(false)
	Eventually(func() *monitoringv1.ServiceMonitor {
		return e2e.Get(env.Client, ns, "app", &monitoringv1.ServiceMonitor{})
	}, 20*time.Second).Should(BeNil())
	Eventually(func() *corev1.Service { return e2e.Get(env.Client, ns, "app", &corev1.Service{}) }, 5*time.Second).Should(BeNil())
	Eventually(env.Condition(ns, "app", appv1alpha1.ConditionMonitoringReady), 5*time.Second).Should(Equal("True/MonitoringDisabled"))
	setMonitoring(true)
	Eventually(func() *monitoringv1.ServiceMonitor {
		return e2e.Get(env.Client, ns, "app", &monitoringv1.ServiceMonitor{})
	}, 20*time.Second).ShouldNot(BeNil())
	Expect(e2e.Get(env.Client, ns, "app", &corev1.Service{})).NotTo(BeNil())
}

func TestVaultAppRevertsHandEditsOfItsDeployment(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("drift")
	env.PutKV("kv/data/"+ns+"/db", map[string]any{"k": "v"})
	env.Create(newApp(ns, "app", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "k", TargetKey: "k"}))
	Eventually(func() *appsv1.Deployment { return e2e.Get(env.Client, ns, "app", &appsv1.Deployment{}) }, 20*time.Second).ShouldNot(BeNil())

	dep := e2e.Get(env.Client, ns, "app", &appsv1.Deployment{})
	patch := client.MergeFrom(dep.DeepCopy())
	dep.Spec.Template.Spec.Containers[0].Image = "evil.example.com/app:latest"
	dep.Spec.Template.Spec.Containers[0].VolumeMounts = nil
	Expect(env.Client.Patch(context.Background(), dep, patch)).To(Succeed())
	Eventually(func() string {
		return e2e.Get(env.Client, ns, "app", &appsv1.Deployment{}).Spec.Template.Spec.Containers[0].Image
	}, 10*time.Second, 100*time.Millisecond).Should(Equal("example.com/app:1"))
	d := e2e.Get(env.Client, ns, "app", &appsv1.Deployment{})
	Expect(d.Spec.Template.Spec.Containers[0].VolumeMounts).To(HaveLen(1), "mount restored, never duplicated")
	Expect(d.Spec.Template.Spec.Volumes).To(HaveLen(1))

	// Settled: no endless updates fighting the apiserver's defaulting.
	rv := d.ResourceVersion
	Consistently(func() string { return e2e.Get(env.Client, ns, "app", &appsv1.Deployment{}).ResourceVersion }, 3*time.Second).Should(Equal(rv))
}

func TestVaultAppValidation(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("valid")
	noRole := newApp(ns, "norole", appv1alpha1.SecretRef{Path: "kv/data/x", Key: "k", TargetKey: "k"})
	noRole.Spec.Vault.Role = ""
	Expect(env.Client.Create(context.Background(), noRole)).To(MatchError(ContainSubstring("spec.vault.role")))

	dup := newApp(ns, "dup", appv1alpha1.SecretRef{Path: "kv/data/x", Key: "a", TargetKey: "same"},
		appv1alpha1.SecretRef{Path: "kv/data/y", Key: "b", TargetKey: "same"})
	Expect(env.Client.Create(context.Background(), dup)).To(MatchError(ContainSubstring(`key same already exists evaluating rule: Duplicate value`)))

	badKey := newApp(ns, "badkey", appv1alpha1.SecretRef{Path: "kv/data/x", Key: "a", TargetKey: "no/slash"})
	Expect(env.Client.Create(context.Background(), badKey)).To(MatchError(ContainSubstring("targetKey")))

	badPath := newApp(ns, "badpath", appv1alpha1.SecretRef{Path: "kv/../sys/x", Key: "a", TargetKey: "a"})
	Expect(env.Client.Create(context.Background(), badPath)).To(MatchError(ContainSubstring("'..'")))

	fast := newApp(ns, "fast", appv1alpha1.SecretRef{Path: "kv/data/x", Key: "a", TargetKey: "a"})
	fast.Spec.Vault.RefreshInterval = appv1alpha1.NewDuration(time.Second)
	Expect(env.Client.Create(context.Background(), fast)).To(MatchError(ContainSubstring("at least 10s")))

	none := newApp(ns, "none")
	Expect(env.Client.Create(context.Background(), none)).To(MatchError(ContainSubstring("spec.vault.secrets")))
}
