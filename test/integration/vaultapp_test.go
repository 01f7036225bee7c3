package integration

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

// kvPut writes a KV v2 secret as root.
func kvPut(path string, data map[string]any) {
	ExpectWithOffset(1, testRig.Vault.PutKV(context.Background(), path, data)).To(Succeed())
}

func loadSample(t *testing.T) *appv1alpha1.VaultApp {
	b, err := os.ReadFile("../../config/samples/app_v1alpha1_vaultapp.yaml")
	Expect(err).NotTo(HaveOccurred())
	app := &appv1alpha1.VaultApp{}
	Expect(yaml.UnmarshalStrict(b, app)).To(Succeed())
	return app
}

func getApp(ns, name string) *appv1alpha1.VaultApp {
	app := &appv1alpha1.VaultApp{}
	if err := testRig.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, app); err != nil {
		return nil
	}
	return app
}

// condition returns "Status/Reason" of a condition ("" if absent).
func condition(ns, name, t string) func() string {
	return func() string {
		app := getApp(ns, name)
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

func conditionMessage(ns, name, t string) string {
	c := meta.FindStatusCondition(getApp(ns, name).Status.Conditions, t)
	if c == nil {
		return ""
	}
	return c.Message
}

func getObj[T client.Object](ns, name string, obj T) T {
	if err := testRig.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		var zero T
		return zero
	}
	return obj
}

// newApp is a small VaultApp in ns reading the given entries with role "apps".
func newApp(ns, name string, secrets ...appv1alpha1.SecretRef) *appv1alpha1.VaultApp {
	labels := map[string]string{"app": name}
	return &appv1alpha1.VaultApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appv1alpha1.VaultAppSpec{
			DeploymentSpec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1",
						Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}}}}},
			},
			Vault: appv1alpha1.VaultSpec{Role: "apps", Secrets: secrets,
				RefreshInterval: appv1alpha1.NewDuration(10 * time.Second)},
		},
	}
}

func TestVaultAppSampleEndToEnd(t *testing.T) {
	RegisterTestingT(t)
	kvPut("kv/data/billing/database", map[string]any{"url": "postgres://billing@db:5432/billing"})
	kvPut("kv/data/billing/provider-x", map[string]any{"key": "px-123", "unused": "x"})
	app := loadSample(t)
	create(app)
	ns, name := app.Namespace, app.Name

	Eventually(condition(ns, name, appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("True/Succeeded"))
	Expect(condition(ns, name, appv1alpha1.ConditionVaultAuthenticated)()).To(Equal("True/Succeeded"))
	Eventually(condition(ns, name, appv1alpha1.ConditionMonitoringReady), 10*time.Second).Should(Equal("True/Succeeded"))
	// envtest runs no deployment controller: the Deployment is never rolled out here.
	Expect(condition(ns, name, appv1alpha1.ConditionDeploymentReady)()).To(Equal("False/DeploymentProgressing"))
	Expect(condition(ns, name, appv1alpha1.ConditionReady)()).To(Equal("False/DeploymentProgressing"))
	got := getApp(ns, name)

	sec := getObj(ns, "billing-service-vault-secrets", &corev1.Secret{})
	Expect(sec).NotTo(BeNil())
	Expect(sec.Data).To(Equal(map[string][]byte{"db_url": []byte("postgres://billing@db:5432/billing"), "provider_x_api_key": []byte("px-123")}))
	Expect(sec.Type).To(Equal(corev1.SecretTypeOpaque))
	Expect(sec.Labels).To(HaveKeyWithValue(appv1alpha1.ManagedByLabel, appv1alpha1.ManagedByValue))
	Expect(got.Status.SecretName).To(Equal(sec.Name))
	Expect(got.Status.LastSecretUpdateTime).NotTo(BeNil())

	dep := getObj(ns, name, &appsv1.Deployment{})
	Expect(dep).NotTo(BeNil())
	Expect(*dep.Spec.Replicas).To(Equal(int32(3)))
	tpl := dep.Spec.Template
	Expect(tpl.Annotations).To(HaveKeyWithValue(appv1alpha1.SecretVersionAnnotation, got.Status.SecretVersion))
	Expect(tpl.Spec.Volumes).To(ContainElement(HaveField("Name", "vault-secrets")))
	Expect(tpl.Spec.Volumes[0].Secret.SecretName).To(Equal("billing-service-vault-secrets"))
	Expect(tpl.Spec.Containers[0].VolumeMounts).To(Equal([]corev1.VolumeMount{{Name: "vault-secrets", MountPath: "/etc/secrets/vault", ReadOnly: true}}))

	svc := getObj(ns, name, &corev1.Service{})
	Expect(svc).NotTo(BeNil())
	Expect(svc.Spec.Selector).To(Equal(map[string]string{"app": "billing-service"}))
	Expect(svc.Spec.Ports[0].Name).To(Equal("http-metrics"))
	Expect(svc.Spec.Ports[0].Port).To(Equal(int32(8081)))
	sm := getObj(ns, name, &monitoringv1.ServiceMonitor{})
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
	ns := newNamespace(t, "rotate")
	kvPut("kv/data/"+ns+"/db", map[string]any{"password": "one"})
	create(newApp(ns, "app", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "password", TargetKey: "password"}))
	Eventually(condition(ns, "app", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("True/Succeeded"))
	dep := getObj(ns, "app", &appsv1.Deployment{})
	v1 := dep.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]
	updated := getApp(ns, "app").Status.LastSecretUpdateTime

	// A refresh with nothing changed in Vault changes nothing.
	Consistently(func() string {
		return getObj(ns, "app", &appsv1.Deployment{}).ResourceVersion
	}, 12*time.Second, time.Second).Should(Equal(dep.ResourceVersion))
	Expect(getApp(ns, "app").Status.LastSecretUpdateTime).To(Equal(updated))

	kvPut("kv/data/"+ns+"/db", map[string]any{"password": "two"})
	Eventually(func() string {
		return string(getObj(ns, "app-vault-secrets", &corev1.Secret{}).Data["password"])
	}, 20*time.Second, 200*time.Millisecond).Should(Equal("two"))
	Eventually(func() string {
		return getObj(ns, "app", &appsv1.Deployment{}).Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]
	}, 5*time.Second).ShouldNot(Equal(v1))
	Expect(getApp(ns, "app").Status.LastSecretUpdateTime.Time).To(BeTemporally(">", updated.Time))
	eventuallyEvent(ns, "app", "SecretRotated")
}

func TestVaultAppReadsKVv1AndKVv2WithoutDataAndEachPathOnce(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "kinds")
	kvPut("kv/data/"+ns+"/v2", map[string]any{"a": "from-v2", "b": "also-v2", "n": 42})
	_, err := testRig.Vault.Root.Logical().Write("kv1/"+ns+"/v1", map[string]any{"c": "from-v1"})
	Expect(err).NotTo(HaveOccurred())
	create(newApp(ns, "app",
		appv1alpha1.SecretRef{Path: "kv/" + ns + "/v2", Key: "a", TargetKey: "a"},
		appv1alpha1.SecretRef{Path: "kv/" + ns + "/v2", Key: "b", TargetKey: "b"},
		appv1alpha1.SecretRef{Path: "kv/" + ns + "/v2", Key: "n", TargetKey: "n.json"},
		appv1alpha1.SecretRef{Path: "kv1/" + ns + "/v1", Key: "c", TargetKey: "c"}))
	Eventually(func() map[string][]byte {
		s := getObj(ns, "app-vault-secrets", &corev1.Secret{})
		if s == nil {
			return nil
		}
		return s.Data
	}, 20*time.Second).Should(Equal(map[string][]byte{"a": []byte("from-v2"), "b": []byte("also-v2"), "n.json": []byte("42"), "c": []byte("from-v1")}))
}

func TestVaultAppErrorsSetConditionsAndEvents(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "vaerr")
	kvPut("kv/data/"+ns+"/db", map[string]any{"user": "u", "pass": "p"})

	create(newApp(ns, "nopath", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/missing", Key: "x", TargetKey: "x"}))
	Eventually(condition(ns, "nopath", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("False/PathNotFound"))
	Expect(conditionMessage(ns, "nopath", appv1alpha1.ConditionSecretsSynced)).To(ContainSubstring("kv/data/" + ns + "/missing"))
	Expect(condition(ns, "nopath", appv1alpha1.ConditionReady)()).To(Equal("False/PathNotFound"))
	eventuallyEvent(ns, "nopath", "PathNotFound: failed to read kv/data/"+ns+"/missing")
	Expect(getObj(ns, "nopath", &appsv1.Deployment{})).To(BeNil(), "no Deployment without its Secret")

	create(newApp(ns, "nokey", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "token", TargetKey: "t"}))
	Eventually(condition(ns, "nokey", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("False/KeyNotFound"))
	Expect(conditionMessage(ns, "nokey", appv1alpha1.ConditionSecretsSynced)).To(Equal(`key "token" not found at vault path kv/data/` + ns + `/db (keys there: pass, user)`))
	eventuallyEvent(ns, "nokey", `KeyNotFound: key "token" not found`)

	wrongRole := newApp(ns, "wrongrole", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "user", TargetKey: "u"})
	wrongRole.Spec.Vault.Role = "no-such-role"
	create(wrongRole)
	Eventually(condition(ns, "wrongrole", appv1alpha1.ConditionVaultAuthenticated), 20*time.Second).Should(Equal("False/AuthFailed"))
	Expect(conditionMessage(ns, "wrongrole", appv1alpha1.ConditionVaultAuthenticated)).To(ContainSubstring("failed to authenticate with vault as role no-such-role"))
	eventuallyEvent(ns, "wrongrole", "AuthFailed: failed to authenticate with vault")

	denied := newApp(ns, "denied", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "user", TargetKey: "u"})
	denied.Spec.Vault.Role = "no-read"
	create(denied)
	Eventually(condition(ns, "denied", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("False/PermissionDenied"))
	Expect(condition(ns, "denied", appv1alpha1.ConditionVaultAuthenticated)()).To(Equal("True/Succeeded"))
	eventuallyEvent(ns, "denied", "PermissionDenied: failed to read kv/data/"+ns+"/db: permission denied")

	// Values never reach conditions or events.
	for _, n := range []string{"nopath", "nokey", "wrongrole", "denied"} {
		for _, c := range getApp(ns, n).Status.Conditions {
			Expect(c.Message).NotTo(SatisfyAny(ContainSubstring(`"u"`), ContainSubstring("pass\"")))
		}
	}
}

func TestVaultAppKeepsLastGoodSecretWhenVaultVersionIsDeleted(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "softdel")
	kvPut("kv/data/"+ns+"/db", map[string]any{"pass": "good"})
	create(newApp(ns, "app", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "pass", TargetKey: "pass"}))
	Eventually(condition(ns, "app", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("True/Succeeded"))
	_, err := testRig.Vault.Root.Logical().Delete("kv/data/" + ns + "/db") // soft-delete the latest version
	Expect(err).NotTo(HaveOccurred())
	Eventually(condition(ns, "app", appv1alpha1.ConditionSecretsSynced), 20*time.Second).Should(Equal("False/SecretDeleted"))
	Expect(getObj(ns, "app-vault-secrets", &corev1.Secret{}).Data).To(Equal(map[string][]byte{"pass": []byte("good")}))
}

func TestVaultAppMonitoringToggles(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "mon")
	kvPut("kv/data/"+ns+"/db", map[string]any{"k": "v"})
	app := newApp(ns, "app", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "k", TargetKey: "k"})
	app.Spec.Monitoring = &appv1alpha1.MonitoringSpec{Enabled: true}
	create(app)
	Eventually(func() *monitoringv1.ServiceMonitor { return getObj(ns, "app", &monitoringv1.ServiceMonitor{}) }, 20*time.Second).ShouldNot(BeNil())
	sm := getObj(ns, "app", &monitoringv1.ServiceMonitor{})
	Expect(sm.Spec.Endpoints[0].Path).To(Equal("/metrics"), "path defaults to /metrics")
	Expect(sm.Spec.Endpoints[0].Port).To(Equal("metrics"), "port defaults to the first named container port")

	setMonitoring := func(enabled bool) {
		a := getApp(ns, "app")
		patch := client.MergeFrom(a.DeepCopy()) // no resourceVersion: the operator's status writes do not conflict
		a.Spec.Monitoring.Enabled = enabled
		ExpectWithOffset(1, testRig.Client.Patch(context.Background(), a, patch)).To(Succeed())
	}
	setMonitoring(false)
	Eventually(func() *monitoringv1.ServiceMonitor { return getObj(ns, "app", &monitoringv1.ServiceMonitor{}) }, 20*time.Second).Should(BeNil())
	Eventually(func() *corev1.Service { return getObj(ns, "app", &corev1.Service{}) }, 5*time.Second).Should(BeNil())
	Eventually(condition(ns, "app", appv1alpha1.ConditionMonitoringReady), 5*time.Second).Should(Equal("True/MonitoringDisabled"))
	setMonitoring(true)
	Eventually(func() *monitoringv1.ServiceMonitor { return getObj(ns, "app", &monitoringv1.ServiceMonitor{}) }, 20*time.Second).ShouldNot(BeNil())
	Expect(getObj(ns, "app", &corev1.Service{})).NotTo(BeNil())
}

func TestVaultAppRevertsHandEditsOfItsDeployment(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "drift")
	kvPut("kv/data/"+ns+"/db", map[string]any{"k": "v"})
	create(newApp(ns, "app", appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/db", Key: "k", TargetKey: "k"}))
	Eventually(func() *appsv1.Deployment { return getObj(ns, "app", &appsv1.Deployment{}) }, 20*time.Second).ShouldNot(BeNil())

	dep := getObj(ns, "app", &appsv1.Deployment{})
	patch := client.MergeFrom(dep.DeepCopy())
	dep.Spec.Template.Spec.Containers[0].Image = "evil.example.com/app:latest"
	dep.Spec.Template.Spec.Containers[0].VolumeMounts = nil
	Expect(testRig.Client.Patch(context.Background(), dep, patch)).To(Succeed())
	Eventually(func() string {
		return getObj(ns, "app", &appsv1.Deployment{}).Spec.Template.Spec.Containers[0].Image
	}, 10*time.Second, 100*time.Millisecond).Should(Equal("example.com/app:1"))
	d := getObj(ns, "app", &appsv1.Deployment{})
	Expect(d.Spec.Template.Spec.Containers[0].VolumeMounts).To(HaveLen(1), "mount restored, never duplicated")
	Expect(d.Spec.Template.Spec.Volumes).To(HaveLen(1))

	// Settled: no endless updates fighting the apiserver's defaulting.
	rv := d.ResourceVersion
	Consistently(func() string { return getObj(ns, "app", &appsv1.Deployment{}).ResourceVersion }, 3*time.Second).Should(Equal(rv))
}

func TestVaultAppValidation(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "valid")
	noRole := newApp(ns, "norole", appv1alpha1.SecretRef{Path: "kv/data/x", Key: "k", TargetKey: "k"})
	noRole.Spec.Vault.Role = ""
	Expect(testRig.Client.Create(context.Background(), noRole)).To(MatchError(ContainSubstring("spec.vault.role")))

	dup := newApp(ns, "dup", appv1alpha1.SecretRef{Path: "kv/data/x", Key: "a", TargetKey: "same"},
		appv1alpha1.SecretRef{Path: "kv/data/y", Key: "b", TargetKey: "same"})
	Expect(testRig.Client.Create(context.Background(), dup)).To(MatchError(ContainSubstring(`key same already exists evaluating rule: Duplicate value`)))

	badKey := newApp(ns, "badkey", appv1alpha1.SecretRef{Path: "kv/data/x", Key: "a", TargetKey: "no/slash"})
	Expect(testRig.Client.Create(context.Background(), badKey)).To(MatchError(ContainSubstring("targetKey")))

	badPath := newApp(ns, "badpath", appv1alpha1.SecretRef{Path: "kv/../sys/x", Key: "a", TargetKey: "a"})
	Expect(testRig.Client.Create(context.Background(), badPath)).To(MatchError(ContainSubstring("'..'")))

	fast := newApp(ns, "fast", appv1alpha1.SecretRef{Path: "kv/data/x", Key: "a", TargetKey: "a"})
	fast.Spec.Vault.RefreshInterval = appv1alpha1.NewDuration(time.Second)
	Expect(testRig.Client.Create(context.Background(), fast)).To(MatchError(ContainSubstring("at least 10s")))

	none := newApp(ns, "none")
	Expect(testRig.Client.Create(context.Background(), none)).To(MatchError(ContainSubstring("spec.vault.secrets")))
}
