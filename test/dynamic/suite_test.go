// Package dynamic tests dynamic secrets on the whole-cluster rig (pods
// really roll and become Ready): database credentials from Vault's database
// engine on a real PostgreSQL, PKI certificates, lease renewal, rotation,
// revocation, restarts, a revoked Vault token, and JWT auth.
package dynamic

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/opproc"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// The tests' Vault TTLs are seconds, so the operator runs with a renewal at
// half of a lease and a short revocation grace.
const audience = "vault"

var (
	testRig *rig.Rig
	pg      *rig.Postgres
	root    string
	opBin   string
	op      *opproc.Proc
)

func TestMain(m *testing.M) {
	root, _ = rig.RepoRoot()
	os.Exit(rig.Main(m, rig.Options{WithCluster: true,
		CRDDirectoryPaths: []string{filepath.Join(root, "config/crd/bases"), filepath.Join(root, "test/crds")}},
		func(r *rig.Rig) func() {
			testRig = r
			ctx := context.Background()
			var err error
			pg, err = rig.StartPostgres(ctx)
			must(err)
			must(r.EnableDatabase(ctx, pg, "billing", 30*time.Second, 65*time.Second))
			must(r.EnablePKI(ctx, time.Hour))
			must(r.EnableKubernetesEngine(ctx, "deployer", "ci", "deployer"))
			_, err = r.EnableJWTAuth(ctx)
			must(err)
			must(writeRoles(ctx, r))
			opBin, err = opproc.Build(r, root)
			must(err)
			op = startOperator()
			return func() { op.Stop(); pg.Stop() }
		}))
}

// writeRoles sets up the Vault roles with the example policies, every one
// bound to the operator's service account with the audience it requests.
func writeRoles(ctx context.Context, r *rig.Rig) error {
	policies := map[string]string{
		rig.OperatorRole: rig.OperatorPolicy,
		"billing-db":     readFile("examples/dynamic/vault-policies.hcl"),
		"web-tls":        readFile("examples/dynamic/vault-policies-pki.hcl"),
		"ci-deployer":    readFile("examples/dynamic/vault-policies-kubernetes.hcl"),
		"jwt-app":        `path "kv/*" { capabilities = ["read"] }` + "\npath \"sys/internal/ui/mounts/*\" { capabilities = [\"read\"] }",
	}
	for role, hcl := range policies {
		if err := r.Vault.WritePolicy(ctx, role, hcl); err != nil {
			return err
		}
		if err := r.Vault.WriteKubernetesRole(ctx, "kubernetes", role, rig.KubernetesRole{
			ServiceAccountNames: []string{rig.OperatorServiceAccount}, Namespaces: []string{rig.OperatorNamespace},
			Policies: []string{role}, TTL: time.Hour, Audience: audience}); err != nil {
			return err
		}
	}
	for role, aud := range map[string]string{"jwt-app": audience, "jwt-other-audience": "someone-else"} {
		if err := r.Vault.WriteJWTRole(ctx, role, rig.JWTRole{Namespace: rig.OperatorNamespace, ServiceAccount: rig.OperatorServiceAccount,
			Audience: aud, Policies: []string{"jwt-app"}, TTL: time.Hour}); err != nil {
			return err
		}
	}
	return nil
}

func startOperator() *opproc.Proc {
	p, err := opproc.Start(context.Background(), testRig, opBin, nil,
		"--vaultapp-refresh-interval=10s", "--vault-jwt-audience="+audience,
		"--lease-renew-fraction=0.5", "--lease-revoke-grace=3s", "--vault-token-check-interval=2s")
	must(err)
	return p
}

// restartOperator stops the operator process and starts a new one (a new
// process, a new Vault login), as a rollout or leader change would.
func restartOperator() {
	op.Stop()
	op = startOperator()
}

// showOperatorLog prints the operator's log when t failed.
func showOperatorLog(t *testing.T) {
	if t.Failed() {
		b, _ := os.ReadFile(filepath.Join(testRig.Dir, "operator.log"))
		t.Logf("operator log:\n%s", b)
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func readFile(rel string) string {
	b, err := os.ReadFile(filepath.Join(root, rel))
	must(err)
	return string(b)
}

// loadExample reads a VaultApp from examples/.
func loadExample(rel string) *appv1alpha1.VaultApp {
	app := &appv1alpha1.VaultApp{}
	ExpectWithOffset(1, yaml.UnmarshalStrict([]byte(readFile(rel)), app)).To(Succeed())
	return app
}

func get[T client.Object](ns, name string, obj T) T {
	if err := testRig.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		var zero T
		return zero
	}
	return obj
}

func appStatus(ns, name string) appv1alpha1.VaultAppStatus {
	if a := get(ns, name, &appv1alpha1.VaultApp{}); a != nil {
		return a.Status
	}
	return appv1alpha1.VaultAppStatus{}
}

func condition(ns, name, t string) func() string {
	return func() string {
		st := appStatus(ns, name)
		if c := meta.FindStatusCondition(st.Conditions, t); c != nil {
			return string(c.Status) + "/" + c.Reason
		}
		return ""
	}
}

func secretData(ns, name string) map[string][]byte {
	if s := get(ns, appv1alpha1.SecretNameFor(name), &corev1.Secret{}); s != nil {
		return s.Data
	}
	return nil
}

// currentLease is the lease id of the app's first dynamic secret.
func currentLease(ns, name string) string {
	if l := appStatus(ns, name).Leases; len(l) > 0 {
		return l[0].LeaseID
	}
	return ""
}

func events(ns, name, reason string) []corev1.Event {
	var list corev1.EventList
	_ = testRig.Client.List(context.Background(), &list, client.InNamespace(ns))
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}
