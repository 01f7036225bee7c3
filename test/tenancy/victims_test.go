package tenancy

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// push is a Deployment whose Secret (one key, "value") is pushed to path.
type push struct{ ns, deployment, path string }

// victimPushes are team-b's pushed secrets (KV v2 and KV v1 under its own
// prefix, and both kinds under the prefix it shares with team-a), and those
// of mallory's colleague in team-a, whose data is not mallory's either.
var victimPushes = []push{
	{teamB, "db", "secret/data/team-b/db"},
	{teamB, "legacy", "kv1/team-b/legacy"},
	{teamB, "shared-v1", "kv1/shared/team-b-config"},
	{teamB, "shared-v2", "secret/data/shared/team-b-config"},
	{teamA, "a-db", "secret/data/team-a/db"},
	{teamA, "a-legacy", "kv1/team-a/legacy"},
}

// canary is team-c's pushed secret: every attack ends by changing it.
var canary = push{teamC, "canary", "secret/data/team-c/canary"}

// The victim's VaultApps: b-app reads a KV v2 secret, b-dyn holds a lease
// of the Kubernetes secrets engine.
const (
	bApp = "b-app"
	bDyn = "b-dyn"
)

// victimState is what the victims have when the attacks start.
type victimState struct {
	// pushed maps each pushed Vault path to its value.
	pushed map[string]string
	// versions are the KV v2 versions of the pushed KV v2 secrets: an
	// attack must not even rewrite them.
	versions map[string]int64
	// appToken is the value b-app reads; lease is b-dyn's lease.
	appToken, lease string
}

// setUpVictims creates team-b's pushed secrets and VaultApps and team-c's
// canary, and waits until the operator has served them all.
func setUpVictims(ctx context.Context) (*victimState, error) {
	v := &victimState{pushed: map[string]string{}, versions: map[string]int64{}, appToken: "b-app-" + rand.String(12)}
	for _, p := range append(victimPushes, canary) {
		v.pushed[p.path] = p.deployment + "-" + rand.String(12)
		if err := createPush(ctx, env.Client, p, v.pushed[p.path]); err != nil {
			return nil, err
		}
	}
	delete(v.pushed, canary.path) // it changes
	if err := env.Vault.PutKV(ctx, "kv/data/team-b/app", map[string]any{"token": v.appToken}); err != nil {
		return nil, err
	}
	for _, app := range []*appv1alpha1.VaultApp{staticApp(teamB, bApp), dynamicApp(teamB, bDyn)} {
		if err := env.Client.Create(ctx, app); err != nil {
			return nil, err
		}
	}
	err := e2e.WaitFor(ctx, 250*time.Millisecond, 90*time.Second, func() bool {
		for path, want := range v.pushed {
			if env.ReadKV(path)["value"] != want {
				return false
			}
		}
		return env.Condition(teamB, bApp, appv1alpha1.ConditionReady)() == "True/Succeeded" &&
			env.Condition(teamB, bDyn, appv1alpha1.ConditionReady)() == "True/Succeeded"
	})
	if err != nil {
		return nil, fmt.Errorf("team-b's objects were not served: %w", err)
	}
	for path := range v.pushed {
		if strings.Contains(path, "/data/") {
			v.versions[path] = kvVersion(path)
		}
	}
	v.lease = env.LeaseID(teamB, bDyn)
	return v, nil
}

// createPush creates, as c, the Secret p.deployment (key "value") and the
// Deployment pushing it to p.path.
func createPush(ctx context.Context, c client.Client, p push, value string) error {
	return createPushWith(ctx, c, p, value, nil)
}

// createPushWith is createPush with more annotations on the Deployment.
func createPushWith(ctx context.Context, c client.Client, p push, value string, more map[string]string) error {
	ann := map[string]string{pushsync.AnnotationPath: p.path, pushsync.AnnotationSecrets: `[{"name":"` + p.deployment + `"}]`}
	maps.Copy(ann, more)
	if err := c.Create(ctx, e2e.NewSecret(p.ns, p.deployment, "value", value)); err != nil {
		return err
	}
	return c.Create(ctx, e2e.NewDeployment(p.ns, p.deployment, ann, p.deployment))
}

// staticApp reads kv/data/<ns>/app's token with the namespace's role.
func staticApp(ns, name string) *appv1alpha1.VaultApp {
	return e2e.NewVaultApp(ns, name, ns, appv1alpha1.SecretRef{Path: "kv/data/" + ns + "/app", Key: "token", TargetKey: "token"})
}

// dynamicApp issues a token of <ns>/deployer from the Kubernetes secrets
// engine with the namespace's role: a lease.
func dynamicApp(ns, name string) *appv1alpha1.VaultApp {
	path := "kubernetes-secrets/creds/" + ns
	app := e2e.NewVaultApp(ns, name, ns, appv1alpha1.SecretRef{Path: path, Key: "service_account_token", TargetKey: "token"})
	app.Spec.Vault.Issue = []appv1alpha1.IssueSpec{{Path: path, Params: map[string]string{"kubernetes_namespace": ns}}}
	app.Spec.Vault.Leases = &appv1alpha1.LeaseSpec{RevokeGracePeriod: appv1alpha1.NewDuration(time.Second)}
	return app
}

// expectNoHarm asserts what every attack must leave as it was, and that
// the operator still serves the other tenants: the victims' pushed data
// (each value, and each KV v2 version: not even rewritten), team-b's
// VaultApps logged in and synced with their values (not their pods'
// readiness: KWOK's node may miss a heartbeat on a loaded machine), its
// lease alive, no victim's value in the operator's log, and a change of
// team-c's Secret in Vault within 10 seconds.
func expectNoHarm() {
	for path, want := range victim.pushed {
		ExpectWithOffset(1, env.ReadKV(path)).To(Equal(map[string]any{"value": want}), "the victim's %s", path)
	}
	for path, version := range victim.versions {
		ExpectWithOffset(1, kvVersion(path)).To(Equal(version), "the victim's %s was rewritten", path)
	}
	for _, app := range []string{bApp, bDyn} {
		for _, c := range []string{appv1alpha1.ConditionVaultAuthenticated, appv1alpha1.ConditionSecretsSynced} {
			ExpectWithOffset(1, env.Condition(teamB, app, c)()).To(Equal("True/Succeeded"), "%s %s", app, c)
		}
	}
	ExpectWithOffset(1, env.AppSecretData(teamB, bApp)["token"]).To(Equal([]byte(victim.appToken)))
	ExpectWithOffset(1, leaseAlive(victim.lease)).To(BeTrue(), "team-b's lease %s", victim.lease)
	log, _ := os.ReadFile(env.OperatorLogPath())
	for _, secret := range append(slices.Collect(maps.Values(victim.pushed)), victim.appToken) {
		ExpectWithOffset(1, string(log)).NotTo(ContainSubstring(secret), "a secret value in the operator's log")
	}
	expectServesOthers(2)
}

// newVictim pushes a fresh Secret of a victim (as the namespace's owner,
// not mallory) to path and waits until it is in Vault; it returns the
// push and its value. Attacks that may overwrite or delete their target
// get their own, so that a successful one does not fail every later test.
func newVictim(ns, deployment, path string) (push, string) {
	p, value := push{ns, deployment, path}, deployment+"-"+rand.String(12)
	ExpectWithOffset(1, createPush(context.Background(), env.Client, p, value)).To(Succeed())
	env.EventuallyKV(path).Should(HaveKeyWithValue("value", value))
	return p, value
}

// expectServesOthers is the canary of another tenant, team-c: a change of
// its pushed Secret reaches Vault, and a new VaultApp of it gets its
// Secret, each within 10 seconds.
func expectServesOthers(offset int) {
	ctx := context.Background()
	value := "canary-" + rand.String(12)
	s := e2e.Get(env.Client, canary.ns, canary.deployment, &corev1.Secret{})
	ExpectWithOffset(offset, s).NotTo(BeNil())
	s.Data["value"] = []byte(value)
	ExpectWithOffset(offset, env.Client.Update(ctx, s)).To(Succeed())
	EventuallyWithOffset(offset, func() any { return env.ReadKV(canary.path)["value"] }, 10*time.Second, 100*time.Millisecond).
		Should(Equal(value), "the operator stopped pushing team-c's secrets")

	app := staticApp(teamC, "canary-"+rand.String(5))
	ExpectWithOffset(offset, env.Client.Create(ctx, app)).To(Succeed())
	EventuallyWithOffset(offset, func() []byte { return env.AppSecretData(teamC, app.Name)["token"] }, 10*time.Second, 100*time.Millisecond).
		Should(Equal([]byte(teamC+"-token")), "the operator stopped serving team-c's VaultApps")
	ExpectWithOffset(offset, env.Client.Delete(ctx, app)).To(Succeed())
}

// kvVersion is the current version of the KV v2 secret at a data path
// ("secret/data/x"); -1 when it cannot be read.
func kvVersion(dataPath string) int64 {
	s, err := env.Vault.Root.Logical().Read(strings.Replace(dataPath, "/data/", "/metadata/", 1))
	if err != nil || s == nil {
		return -1
	}
	n, ok := s.Data["current_version"].(json.Number)
	if !ok {
		return -1
	}
	v, err := n.Int64()
	if err != nil {
		return -1
	}
	return v
}

// leaseAlive tells whether Vault still knows the lease.
func leaseAlive(id string) bool {
	s, err := env.Vault.Root.Sys().Lookup(id)
	return err == nil && s != nil
}
