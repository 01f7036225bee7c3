package integration

// The examples of examples/vaultapp (one per way of shaping a VaultApp's
// Secret, docs/secret-shaping.md), applied as they are: their Vault data
// and policy come from their own setup script, their role is bound as
// VAULT-SETUP-GUIDE.md binds one, and they all live in namespace "shape".

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// shapeNS is the namespace of every example in examples/vaultapp.
const shapeNS = "shape"

// Metrics the shaping tests read.
const (
	rolloutsMetric     = "vault_sync_operator_vaultapp_rollouts_total"
	driftRepairsMetric = "vault_sync_operator_vaultapp_drift_repairs_total"
)

// shapeValues are secret values examples/vaultapp/setup-vault.sh writes (and
// values the tests write later): none may ever be in a condition, an event
// or the operator's log. The private key of tls-from-kv.yaml is added by
// prepareShapeExamples.
var shapeValues = []string{"orders-db-password", "orders-admin-password", "orders-api-token", "postgres://billing@db.shape.svc",
	"px-123", "pull-password", "smtp-password", "rates-api-token", "tampered-password", "px-456"}

// prepareShapeExamples runs what examples/vaultapp/README.md asks for:
// the PKI engine (examples/dynamic/setup-pki.sh), the examples' data and
// policy (setup-vault.sh), the Vault role shape-apps bound to the
// operator's service account, and the namespace.
func prepareShapeExamples(e *e2e.Env) error {
	ctx := context.Background()
	if err := e.EnablePKI(ctx, 87600*time.Hour); err != nil {
		return err
	}
	if err := e.RunExample(ctx, "examples/vaultapp/setup-vault.sh"); err != nil {
		return err
	}
	if err := e.Vault.WriteKubernetesRole(ctx, "kubernetes", "shape-apps", rig.KubernetesRole{
		ServiceAccountNames: []string{rig.OperatorServiceAccount}, Namespaces: []string{rig.OperatorNamespace},
		Policies: []string{"shape-apps"}, TTL: time.Hour}); err != nil {
		return err
	}
	if key := e.ReadKV("kv/data/shape/web-tls")["private_key"]; key != nil {
		// A line of the key's base64 body: in no message unless the key is.
		shapeValues = append(shapeValues, strings.Split(key.(string), "\n")[1])
	}
	return e.EnsureNamespace(ctx, shapeNS)
}

// applyExample creates the objects of examples/vaultapp/<file> as they are
// and returns the VaultApp the file holds (read back from the file).
func applyExample(file string) *appv1alpha1.VaultApp {
	rel := "examples/vaultapp/" + file
	env.ApplyFile(rel)
	return env.LoadVaultApp(rel)
}

// createExampleAs creates the VaultApp of examples/vaultapp/<file> under
// another name (for tests that change it, or need a second one), changed
// first by change when not nil, and returns it.
func createExampleAs(file, name string, change func(*appv1alpha1.VaultApp)) *appv1alpha1.VaultApp {
	app := env.LoadVaultApp("examples/vaultapp/" + file)
	app.Name = name
	if change != nil {
		change(app)
	}
	env.Create(app)
	return app
}

// eventuallySynced waits for SecretsSynced=True and the Deployment, and
// returns the Deployment.
func eventuallySynced(name string) *appsv1.Deployment {
	EventuallyWithOffset(1, env.Condition(shapeNS, name, appv1alpha1.ConditionSecretsSynced), 20*time.Second, 100*time.Millisecond).
		Should(Equal("True/Succeeded"))
	EventuallyWithOffset(1, func() *appsv1.Deployment { return e2e.Get(env.Client, shapeNS, name, &appsv1.Deployment{}) }, 10*time.Second).
		ShouldNot(BeNil())
	return e2e.Get(env.Client, shapeNS, name, &appsv1.Deployment{})
}

// appSecret is the Secret the operator writes for VaultApp name (nil if none).
func appSecret(name string) *corev1.Secret {
	return e2e.Get(env.Client, shapeNS, appv1alpha1.SecretNameFor(name), &corev1.Secret{})
}

// patchApp changes VaultApp name with a merge patch (no resourceVersion:
// the operator's status writes do not conflict with it).
func patchApp(name string, change func(*appv1alpha1.VaultApp)) {
	a := e2e.Get(env.Client, shapeNS, name, &appv1alpha1.VaultApp{})
	ExpectWithOffset(1, a).NotTo(BeNil())
	patch := client.MergeFrom(a.DeepCopy())
	change(a)
	ExpectWithOffset(1, env.Client.Patch(context.Background(), a, patch)).To(Succeed())
}

// requestRefresh sets the refresh-requested-at annotation to value.
func requestRefresh(name, value string) {
	patchApp(name, func(a *appv1alpha1.VaultApp) {
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations[appv1alpha1.RefreshRequestedAnnotation] = value
	})
}

// secretVersion is the pod-template annotation that rolls the pods.
func secretVersion(d *appsv1.Deployment) string {
	return d.Spec.Template.Annotations[appv1alpha1.SecretVersionAnnotation]
}

// expectOneRollout: the Deployment of VaultApp name, dep before, rolled
// exactly once (its generation moved by one), with a RolloutStarted event
// naming reason and the counter of reason moved from before. It returns
// the Deployment after the rollout.
func expectOneRollout(name string, dep *appsv1.Deployment, reason string, before float64) *appsv1.Deployment {
	EventuallyWithOffset(1, func() int64 { return e2e.Get(env.Client, shapeNS, name, &appsv1.Deployment{}).Generation }, 5*time.Second, 100*time.Millisecond).
		Should(Equal(dep.Generation + 1))
	env.EventuallyEvent(shapeNS, name, "RolloutStarted: rolling out deployment "+name+" ("+reason+")")
	EventuallyWithOffset(1, op.Metric(rolloutsMetric, "reason", reason), 5*time.Second).Should(BeNumerically(">=", before+1))
	ConsistentlyWithOffset(1, func() int64 { return e2e.Get(env.Client, shapeNS, name, &appsv1.Deployment{}).Generation }, time.Second, 100*time.Millisecond).
		Should(Equal(dep.Generation+1), "one rollout")
	return e2e.Get(env.Client, shapeNS, name, &appsv1.Deployment{})
}

// expectNewSecretVersion: the Deployment runs the VaultApp's current
// secret version, which is not the one of dep.
func expectNewSecretVersion(name string, dep, after *appsv1.Deployment) {
	version := env.AppStatus(shapeNS, name).SecretVersion
	ExpectWithOffset(1, secretVersion(after)).To(Equal(version))
	ExpectWithOffset(1, version).NotTo(Equal(secretVersion(dep)))
}

// expectNoValueLeaked checks the conditions and events of the named
// VaultApps, and everything the operator logged so far, for shapeValues.
func expectNoValueLeaked(names ...string) {
	var texts []string
	for _, n := range names {
		for _, c := range env.AppStatus(shapeNS, n).Conditions {
			texts = append(texts, c.Type+": "+c.Message)
		}
		texts = append(texts, env.EventTexts(shapeNS, n)...)
	}
	logs := env.Logs.String()
	for _, v := range shapeValues {
		for _, text := range texts {
			ExpectWithOffset(1, text).NotTo(ContainSubstring(v), "a secret value in a condition or event")
		}
		ExpectWithOffset(1, strings.Contains(logs, v)).To(BeFalse(), "the operator logged the secret value %q", v)
	}
}

// expectNoDriftReported: the operator reported no drift of VaultApp name's
// Secret (its own writes are none).
func expectNoDriftReported(name string) {
	ExpectWithOffset(1, env.EventTexts(shapeNS, name)).NotTo(ContainElement(HavePrefix(appv1alpha1.ReasonDriftRepaired)),
		"the operator's own writes are no drift")
}
