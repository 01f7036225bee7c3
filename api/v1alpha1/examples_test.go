package v1alpha1_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretdata"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var examplesDir = filepath.Join("..", "..", "examples", "vaultapp")

// exampleFiles are the VaultApp manifests of examples/vaultapp.
func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	return files
}

// TestExamplesApplyServerSide applies every example server-side (dry run,
// strict field validation) against the apiserver with the current CRD.
func TestExamplesApplyServerSide(t *testing.T) {
	r := apiserver(t)
	ctx := context.Background()
	installCRD(t, r, currentCRD, newProbe(t))
	for _, f := range exampleFiles(t) {
		for _, o := range readObjects(t, f) {
			if err := r.EnsureNamespace(ctx, o.GetNamespace()); err != nil {
				t.Fatal(err)
			}
			err := r.Client.Patch(ctx, o, client.Apply, client.DryRunAll, client.ForceOwnership,
				client.FieldOwner("examples-test"), client.FieldValidation("Strict"))
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
			}
		}
	}
}

// exampleSecrets is what each example's Secret holds, as examples/vaultapp/README.md says.
var exampleSecrets = map[string][]string{
	"whole-path.yaml":         {"api_token", "db_host", "db_password", "db_port", "db_username", "new_checkout"},
	"config-template.yaml":    {"application.properties", "config.yaml"},
	"dockerconfigjson.yaml":   {".dockerconfigjson"},
	"tls-from-kv.yaml":        {"tls.crt", "tls.key"},
	"tls-from-pki.yaml":       {"ca.crt", "tls.crt", "tls.key"},
	"labels-annotations.yaml": {"smtp_password"},
	"refresh-now.yaml":        {"api_token"},
}

// TestExamplesBuildTheirSecretsFromVault writes the examples' Vault data
// with their setup script into a real Vault, reads (or issues) each path as
// the operator does, and builds each Secret with internal/secretdata: the
// keys are those the README promises and the shaped values are right.
func TestExamplesBuildTheirSecretsFromVault(t *testing.T) {
	r := apiserver(t)
	ctx := context.Background()
	if err := r.EnablePKI(ctx, 87600*time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := r.RunExample(ctx, "examples/vaultapp/setup-vault.sh"); err != nil {
		t.Fatal(err)
	}
	files := exampleFiles(t)
	if len(files) != len(exampleSecrets) {
		t.Errorf("%d examples, %d described here", len(files), len(exampleSecrets))
	}
	for _, f := range files {
		name := filepath.Base(f)
		app := decodeExample(t, f)
		data, err := secretdata.Build(app.Spec.Vault.Secrets, app.Spec.Secret, fetch(t, r, app))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := sortedKeys(data); !reflect.DeepEqual(got, exampleSecrets[name]) {
			t.Errorf("%s: Secret keys %v, want %v", name, got, exampleSecrets[name])
		}
		checkShaped(t, name, app, data)
	}
}

// checkShaped checks the values the examples shape.
func checkShaped(t *testing.T, name string, app *appv1alpha1.VaultApp, data map[string][]byte) {
	t.Helper()
	switch name {
	case "config-template.yaml":
		want := "database:\n  url: \"postgres://billing@db.shape.svc:5432/billing\"\nproviderX:\n  apiKey: \"px-123\"\n"
		if string(data["config.yaml"]) != want {
			t.Errorf("config.yaml =\n%s\nwant\n%s", data["config.yaml"], want)
		}
	case "dockerconfigjson.yaml":
		var doc struct {
			Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
		}
		if err := json.Unmarshal(data[".dockerconfigjson"], &doc); err != nil {
			t.Fatal(err)
		}
		a := doc.Auths["registry.example.com"]
		if a.Username != "puller" || a.Password != "pull-password" || a.Auth != base64.StdEncoding.EncodeToString([]byte("puller:pull-password")) {
			t.Errorf(".dockerconfigjson = %s", data[".dockerconfigjson"])
		}
	case "labels-annotations.yaml":
		labels := secretdata.MergeLabels(app.Spec.Secret.Labels, map[string]string{appv1alpha1.ManagedByLabel: appv1alpha1.ManagedByValue})
		if labels["team"] != "reporting" || labels[appv1alpha1.ManagedByLabel] != appv1alpha1.ManagedByValue {
			t.Errorf("labels = %v", labels)
		}
	case "refresh-now.yaml":
		if v, ok := app.PendingRefreshRequest(); !ok || v != "1767225600" {
			t.Errorf("refresh request = %q, %v", v, ok)
		}
	}
}

// decodeExample reads an example into the Go types, refusing unknown fields.
func decodeExample(t *testing.T, path string) *appv1alpha1.VaultApp {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	app := &appv1alpha1.VaultApp{}
	if err := yaml.UnmarshalStrict(raw, app); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return app
}

// fetch gets every distinct path of app from Vault once: issued (PKI) or
// read (KV v2), the way the operator does.
func fetch(t *testing.T, r *rig.Rig, app *appv1alpha1.VaultApp) secretdata.Fetched {
	t.Helper()
	out := secretdata.Fetched{}
	for _, e := range app.Spec.Vault.Secrets {
		if _, done := out[e.Path]; done {
			continue
		}
		var (
			s   *vaultapi.Secret
			err error
		)
		if issue := issueOf(app, e.Path); issue != nil {
			s, err = r.Vault.Root.Logical().Write(e.Path, map[string]any{"common_name": issue.CommonName, "ttl": issue.TTL.Duration.String()})
		} else {
			s, err = r.Vault.Root.Logical().Read(e.Path)
		}
		if err != nil || s == nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		out[e.Path] = s.Data
		if kv, ok := s.Data["data"].(map[string]any); ok && issueOf(app, e.Path) == nil {
			out[e.Path] = kv
		}
	}
	return out
}

func issueOf(app *appv1alpha1.VaultApp, path string) *appv1alpha1.PKIIssue {
	for _, is := range app.Spec.Vault.Issue {
		if is.Path == path {
			return is.PKI
		}
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }
