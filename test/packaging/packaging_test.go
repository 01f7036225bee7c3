// Package packaging checks every install method against a real apiserver:
// the Helm chart (lint, render with default and non-default values, apply),
// the kustomize base and dist/install.yaml, and that all of them carry the
// CRD and RBAC that controller-gen generates from the code.
package packaging

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var env *e2e.Env

// TestMain installs only the ServiceMonitor CRD: the VaultApp CRD comes
// with each install method under test.
func TestMain(m *testing.M) {
	root, _ := rig.RepoRoot()
	os.Exit(e2e.Main(m, rig.Options{CRDDirectoryPaths: []string{filepath.Join(root, "test/crds")}},
		func(e *e2e.Env) error { env = e; return nil }))
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = env.Root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGeneratedFilesAreInSync: the chart's CRD and RBAC rules and
// dist/install.yaml are exactly what `make chart build-installer` produces
// from the controller-gen output. Run that target after changing markers.
func TestGeneratedFilesAreInSync(t *testing.T) {
	if !bytes.Equal(readFile(t, "config/crd/bases/app.techweaver.io_vaultapps.yaml"), readFile(t, "charts/vault-sync-operator/crds/app.techweaver.io_vaultapps.yaml")) {
		t.Error("charts/vault-sync-operator/crds differs from config/crd/bases: run make chart")
	}
	role := string(readFile(t, "config/rbac/role.yaml"))
	rules := role[strings.Index(role, "rules:\n")+len("rules:\n"):]
	if rules != string(readFile(t, "charts/vault-sync-operator/files/rbac-rules.yaml")) {
		t.Error("charts/vault-sync-operator/files/rbac-rules.yaml differs from config/rbac/role.yaml: run make chart")
	}
	wi := string(readFile(t, "config/rbac/workload-identity/role.yaml"))
	if wi[strings.Index(wi, "rules:\n")+len("rules:\n"):] != string(readFile(t, "charts/vault-sync-operator/files/workload-identity-rules.yaml")) {
		t.Error("charts/vault-sync-operator/files/workload-identity-rules.yaml differs from config/rbac/workload-identity/role.yaml: run make chart")
	}
	kustomized := run(t, env.Binaries.Kubectl, "kustomize", "config/default")
	if !bytes.Equal(kustomized, readFile(t, "dist/install.yaml")) {
		t.Error("dist/install.yaml is stale: run make build-installer")
	}
}

// TestClusterRoleIsLeastPrivilege pins the operator's ClusterRole: any new
// permission must be a deliberate change to this list.
func TestClusterRoleIsLeastPrivilege(t *testing.T) {
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(readFile(t, "config/rbac/role.yaml"), &role); err != nil {
		t.Fatal(err)
	}
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"secrets", "services"}, Verbs: []string{"create", "delete", "get", "list", "patch", "watch"}},
		{APIGroups: []string{"app.techweaver.io"}, Resources: []string{"vaultapps"}, Verbs: []string{"get", "list", "patch", "watch"}},
		{APIGroups: []string{"app.techweaver.io"}, Resources: []string{"vaultapps/finalizers"}, Verbs: []string{"update"}},
		{APIGroups: []string{"app.techweaver.io"}, Resources: []string{"vaultapps/status"}, Verbs: []string{"patch"}},
		{APIGroups: []string{"app.techweaver.io"}, Resources: []string{"vaultgrants"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"create", "get", "list", "patch", "watch"}},
		{APIGroups: []string{"monitoring.coreos.com"}, Resources: []string{"servicemonitors"}, Verbs: []string{"create", "delete", "get", "list", "patch", "watch"}},
	}
	if !reflect.DeepEqual(role.Rules, want) {
		got, _ := yaml.Marshal(role.Rules)
		t.Fatalf("ClusterRole rules changed:\n%s", got)
	}
}

// TestWorkloadIdentityRoleIsMinimal: token creation is granted only by the
// separate workload-identity ClusterRole, with nothing else in it; the
// chart renders it only with vault.identity=workload.
func TestWorkloadIdentityRoleIsMinimal(t *testing.T) {
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(readFile(t, "config/rbac/workload-identity/role.yaml"), &role); err != nil {
		t.Fatal(err)
	}
	want := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}}}
	if !reflect.DeepEqual(role.Rules, want) {
		t.Fatalf("workload-identity rules = %+v", role.Rules)
	}
	def := string(run(t, env.Binaries.Helm, "template", "vso", "charts/vault-sync-operator"))
	if strings.Contains(def, "serviceaccounts/token") || !strings.Contains(def, "--vault-identity=operator") {
		t.Error("the default chart must not grant token creation")
	}
	wl := string(run(t, env.Binaries.Helm, "template", "vso", "charts/vault-sync-operator", "--set", "vault.identity=workload"))
	if !strings.Contains(wl, "serviceaccounts/token") || !strings.Contains(wl, "--vault-identity=workload") || !strings.Contains(wl, "--workload-push-role={{namespace}}") {
		t.Error("vault.identity=workload must add the workload-identity ClusterRole and flags")
	}
}

func TestHelmLint(t *testing.T) {
	run(t, env.Binaries.Helm, "lint", "--strict", "charts/vault-sync-operator")
}

// TestHelmChartInstalls renders the chart with default and with
// non-default values and creates the result in the apiserver.
func TestHelmChartInstalls(t *testing.T) {
	ctx := context.Background()
	cases := map[string][]string{
		"defaults": nil,
		"production": {"--set", "replicaCount=2", "--set", "clusterName=prod-eu", "--set", "watchNamespaces={team-a,team-b}",
			"--set", "vault.caSecret=vault-ca", "--set", "vault.namespace=admin", "--set", "vault.jwtAudience=vault",
			"--set", "metrics.serviceMonitor.enabled=true", "--set-json", `policy.allowedVaultPaths=["secret/data/{{namespace}}/*"]`, "--set-json", `policy.allowedVaultAppRoles=["{{namespace}}"]`, "--set", "logLevel=debug", "--set", "resources.limits.memory=512Mi",
			"--set", "vault.identity=workload", "--set", "vault.authMethod=jwt", "--set", "maxRolloutsPerSecond=5", "--set", "leases.revokeGrace=2m",
			"--set-json", `extraArgs=["--vault-token-store-namespace=-"]`},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			ns := "helm-" + name
			for _, n := range []string{ns, "team-a", "team-b"} {
				if err := env.EnsureNamespace(ctx, n); err != nil {
					t.Fatal(err)
				}
			}
			out := run(t, env.Binaries.Helm, append([]string{"template", "vso-" + name, "charts/vault-sync-operator", "--namespace", ns, "--include-crds"}, args...)...)
			objs, err := manifests.Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			crds, rest := splitCRDs(objs)
			if len(crds) != 2 {
				t.Fatalf("chart has %d CRDs, want VaultApp and VaultGrant", len(crds))
			}
			for _, c := range crds {
				if err := env.Client.Create(ctx, c, client.DryRunAll); err != nil {
					t.Fatalf("CRD: %v", err)
				}
			}
			if err := manifests.Create(ctx, env.Client, rest); err != nil {
				t.Fatal(err)
			}
			dep := find(t, rest, "Deployment")
			argv := nestedStrings(dep, "spec", "template", "spec", "containers", "0", "args")
			args := strings.Join(argv, " ")
			// The binary accepts every flag the chart passes, and the values validate.
			o, err := e2e.ParseOperatorFlags(argv)
			if err != nil {
				t.Fatalf("the operator rejects the chart's args: %v", err)
			}
			if err := o.Validate(); err != nil {
				t.Fatalf("the chart's args do not validate: %v", err)
			}
			for _, want := range []string{"--vault-addr=", "--leader-elect=true", "--health-probe-bind-address=:8081"} {
				if !strings.Contains(args, want) {
					t.Errorf("args %q lack %q", args, want)
				}
			}
			if name == "production" {
				for _, want := range []string{"--cluster-name=prod-eu", "--watch-namespaces=team-a,team-b", "--vault-ca-cert=/etc/vault-ca/ca.crt", "--vault-namespace=admin", "--zap-log-level=debug",
					"--allowed-vault-paths=secret/data/{{namespace}}/*", "--allowed-vaultapp-roles={{namespace}}",
					"--vault-identity=workload", "--vault-auth-method=jwt", "--max-rollouts-per-second=5", "--lease-revoke-grace=2m", "--vault-token-store-namespace=-"} {
					if !strings.Contains(args, want) {
						t.Errorf("args %q lack %q", args, want)
					}
				}
				find(t, rest, "ServiceMonitor")
				expectNamespacedRBAC(t, rest)
				if o.VaultIdentity != "workload" || o.MaxRolloutsPerSecond != 5 || o.LeaseRevokeGrace != 2*time.Minute {
					t.Errorf("parsed options = %+v", o)
				}
			}
		})
	}
}

func TestHelmRefusesReplicasWithoutLeaderElection(t *testing.T) {
	cmd := exec.Command(env.Binaries.Helm, "template", "x", "charts/vault-sync-operator", "--set", "replicaCount=2", "--set", "leaderElection.enabled=false")
	cmd.Dir = env.Root
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "needs leaderElection.enabled=true") {
		t.Fatalf("helm template accepted 2 replicas without leader election: %s", out)
	}
}

// TestPlainManifestsInstall creates dist/install.yaml for real.
func TestPlainManifestsInstall(t *testing.T) {
	objs, err := manifests.ReadFile(filepath.Join(env.Root, "dist/install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crds, rest := splitCRDs(objs)
	for _, c := range crds {
		if err := env.Client.Create(context.Background(), c, client.DryRunAll); err != nil {
			t.Fatal(err)
		}
	}
	// Server-side apply, as the rig already made the namespace and service
	// account of the operator's Vault identity.
	if err := manifests.Apply(context.Background(), env.Client, rest); err != nil {
		t.Fatal(err)
	}
	dep := find(t, rest, "Deployment")
	if dep.GetNamespace() != "vault-sync-system" {
		t.Errorf("namespace %q", dep.GetNamespace())
	}
	probe := nestedStrings(dep, "spec", "template", "spec", "containers", "0", "livenessProbe", "httpGet", "path")
	if len(probe) != 1 || probe[0] != "/healthz/ping" {
		t.Errorf("liveness probe %v, want the process-only /healthz/ping", probe)
	}
}

// TestWatchNamespacesOverlayInstalls: the kustomize overlay for
// --watch-namespaces renders and installs, with the operator's rules in a
// Role per watched namespace and no cluster-wide binding of them.
func TestWatchNamespacesOverlayInstalls(t *testing.T) {
	ctx := context.Background()
	for _, n := range []string{"team-a", "team-b"} {
		if err := env.EnsureNamespace(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	out := run(t, env.Binaries.Kubectl, "kustomize", "config/overlays/watch-namespaces")
	objs, err := manifests.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	_, rest := splitCRDs(objs)
	if err := manifests.Apply(ctx, env.Client, rest); err != nil {
		t.Fatal(err)
	}
	expectNamespacedRBAC(t, rest)
	args := strings.Join(nestedStrings(find(t, rest, "Deployment"), "spec", "template", "spec", "containers", "0", "args"), " ")
	if !strings.Contains(args, "--watch-namespaces=team-a,team-b") {
		t.Errorf("args %q", args)
	}
}

// expectNamespacedRBAC: the operator's rules are in Roles of team-a and
// team-b, and the only ClusterRoleBinding to the operator grants reading
// VaultGrants.
func expectNamespacedRBAC(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	roles := map[string]bool{}
	for _, o := range objs {
		switch o.GetKind() {
		case "Role":
			if rules, _, _ := unstructured.NestedSlice(o.Object, "rules"); len(rules) > 3 {
				roles[o.GetNamespace()] = true
			}
		case "ClusterRoleBinding":
			if ref := nestedStrings(o, "roleRef", "name"); len(ref) != 1 || !strings.HasSuffix(ref[0], "-vaultgrants") {
				t.Errorf("ClusterRoleBinding %s binds %v cluster-wide", o.GetName(), ref)
			}
		}
	}
	if !roles["team-a"] || !roles["team-b"] {
		t.Errorf("the operator's rules are not in Roles of both watched namespaces: %v", roles)
	}
}

// splitCRDs separates CRDs (dry-run created: the rig installed them already)
// from the other objects.
func splitCRDs(objs []*unstructured.Unstructured) (crds, rest []*unstructured.Unstructured) {
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o)
		} else {
			rest = append(rest, o)
		}
	}
	return crds, rest
}

func find(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind {
			return o
		}
	}
	t.Fatalf("no %s rendered", kind)
	return nil
}

// nestedStrings walks maps and (by index) lists and returns the strings found.
func nestedStrings(u *unstructured.Unstructured, path ...string) []string {
	var cur any = u.Object
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i := int(p[0] - '0')
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		}
	}
	switch c := cur.(type) {
	case string:
		return []string{c}
	case []any:
		var out []string
		for _, x := range c {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
