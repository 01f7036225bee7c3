package workload

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// TestPushAsTheWorkload: a Deployment's Secrets are written with its own
// service account's Vault role; Vault, not the operator, refuses another
// team's prefix, a service account the role does not bind, and another
// team's role. Logins are cached per identity, not made per sync.
func TestPushAsTheWorkload(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "creds"}, StringData: map[string]string{"password": "wl-secret-1"}})

	create(deployment("team-a", "web", "app", map[string]string{pushsync.AnnotationPath: "secret/data/team-a/web"}))
	Eventually(func() any { return vaultValue("secret/data/team-a/web/creds", "password") }, 15*time.Second, 200*time.Millisecond).Should(Equal("wl-secret-1"))

	create(deployment("team-a", "steal", "app", map[string]string{pushsync.AnnotationPath: "secret/data/team-b/stolen"}))
	Eventually(func() string { return eventText("team-a", "steal") }, 15*time.Second, 200*time.Millisecond).Should(ContainSubstring("permission denied"))
	Expect(vaultValue("secret/data/team-b/stolen/creds", "password")).To(BeNil(), "Vault's policy for team-a kept it out of team-b")

	create(deployment("team-a", "intruder", "intruder", map[string]string{pushsync.AnnotationPath: "secret/data/team-a/intruder"}))
	Eventually(func() string { return eventText("team-a", "intruder") }, 15*time.Second, 200*time.Millisecond).Should(
		And(ContainSubstring("AuthFailed"), ContainSubstring("failed to authenticate")))

	create(deployment("team-a", "borrow", "app", map[string]string{pushsync.AnnotationPath: "secret/data/team-b/borrowed", pushsync.AnnotationRole: "team-b"}))
	Eventually(func() string { return eventText("team-a", "borrow") }, 15*time.Second, 200*time.Millisecond).Should(ContainSubstring("AuthFailed"))
	Expect(vaultValue("secret/data/team-b/borrowed/creds", "password")).To(BeNil())

	// Cached logins: a changed Secret syncs again without a new login.
	logins := testutil.ToFloat64(metrics.AuthAttempts.WithLabelValues("success"))
	sec := &corev1.Secret{}
	Expect(testRig.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "creds"}, sec)).To(Succeed())
	sec.StringData = map[string]string{"password": "wl-secret-2"}
	Expect(testRig.Client.Update(ctx, sec)).To(Succeed())
	Eventually(func() any { return vaultValue("secret/data/team-a/web/creds", "password") }, 15*time.Second, 200*time.Millisecond).Should(Equal("wl-secret-2"))
	Expect(testutil.ToFloat64(metrics.AuthAttempts.WithLabelValues("success"))).To(Equal(logins))
}

// TestVaultAppAsTheWorkload: a VaultApp reads with its pod template's
// service account; the same role used from another namespace is refused by
// Vault, and the condition says which service account Vault saw.
func TestVaultAppAsTheWorkload(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(testRig.Vault.PutKV(ctx, "kv/data/team-a/config", map[string]any{"url": "postgres://team-a"})).To(Succeed())
	create(vaultApp("team-a", "reader", "team-a"), vaultApp("team-b", "borrower", "team-a"))
	Eventually(func() string {
		s := &corev1.Secret{}
		_ = testRig.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "reader-vault-secrets"}, s)
		return string(s.Data["url"])
	}, 15*time.Second, 200*time.Millisecond).Should(Equal("postgres://team-a"))
	Eventually(func() string { return condition("team-b", "borrower") }, 15*time.Second, 200*time.Millisecond).Should(
		And(HavePrefix("False/AuthFailed"), ContainSubstring("the app's service account team-b/app")))
}

// TestVaultAppAsTheWorkloadWithJWT: workload identity over Vault's JWT
// auth method: the app's own service-account token is checked against the
// apiserver's issuer keys (no token reviewer), and its subject must be the
// role's bound subject.
func TestVaultAppAsTheWorkloadWithJWT(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(testRig.Vault.PutKV(ctx, "kv/data/team-b/config", map[string]any{"url": "postgres://team-b"})).To(Succeed())
	own := vaultApp("team-b", "jwt-reader", "team-b")
	own.Spec.Vault.AuthMethod = "jwt"
	own.Spec.Vault.Secrets[0].Path = "kv/data/team-b/config"
	intruder := vaultApp("team-b", "jwt-intruder", "team-b")
	intruder.Spec.Vault.AuthMethod = "jwt"
	intruder.Spec.DeploymentSpec.Template.Spec.ServiceAccountName = "intruder"
	create(own, intruder)
	Eventually(func() string {
		s := &corev1.Secret{}
		_ = testRig.Client.Get(ctx, client.ObjectKey{Namespace: "team-b", Name: "jwt-reader-vault-secrets"}, s)
		return string(s.Data["url"])
	}, 15*time.Second, 200*time.Millisecond).Should(Equal("postgres://team-b"))
	Eventually(func() string { return condition("team-b", "jwt-intruder") }, 15*time.Second, 200*time.Millisecond).Should(
		And(HavePrefix("False/AuthFailed"), ContainSubstring("team-b/intruder"), ContainSubstring("auth/jwt")))
}

// TestReadyWithoutAnOperatorRole: in workload-identity mode the operator
// has no Vault role of its own (the suite deleted it), and is ready as long
// as Vault answers.
func TestReadyWithoutAnOperatorRole(t *testing.T) {
	RegisterTestingT(t)
	Eventually(func() int {
		resp, err := http.Get("http://" + probeAddr + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}, 10*time.Second, 200*time.Millisecond).Should(Equal(http.StatusOK))
}

func create(objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, testRig.Client.Create(context.Background(), o)).To(Succeed())
	}
}

func deployment(ns, name, sa string, ann map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: ann},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{ServiceAccountName: sa,
				Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1",
					EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}}}}}}}}}
}

func vaultApp(ns, name, role string) *appv1alpha1.VaultApp {
	labels := map[string]string{"app": name}
	return &appv1alpha1.VaultApp{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appv1alpha1.VaultAppSpec{
			DeploymentSpec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{ServiceAccountName: "app", Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1"}}}}},
			Vault: appv1alpha1.VaultSpec{Role: role, Secrets: []appv1alpha1.SecretRef{{Path: "kv/data/team-a/config", Key: "url", TargetKey: "url"}}},
		}}
}

// vaultValue reads a KV v2 value as root (nil when absent).
func vaultValue(path, key string) any {
	s, err := testRig.Vault.Root.Logical().Read(path)
	if err != nil || s == nil || s.Data["data"] == nil {
		return nil
	}
	return s.Data["data"].(map[string]any)[key]
}

// eventText joins the reasons and messages of an object's events.
func eventText(ns, name string) string {
	var list corev1.EventList
	_ = testRig.Client.List(context.Background(), &list, client.InNamespace(ns))
	var b strings.Builder
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name {
			b.WriteString(e.Reason + ": " + e.Message + "\n")
		}
	}
	return b.String()
}

func condition(ns, name string) string {
	app := &appv1alpha1.VaultApp{}
	_ = testRig.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, app)
	if c := meta.FindStatusCondition(app.Status.Conditions, appv1alpha1.ConditionVaultAuthenticated); c != nil {
		return string(c.Status) + "/" + c.Reason + ": " + c.Message
	}
	return ""
}
