package v1alpha1_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// The tests of this file's package run the CRD in a real kube-apiserver (and
// the examples against a real Vault): the rig starts on first use, so the
// package's other tests run without it.

var (
	rigOnce   sync.Once
	sharedRig *rig.Rig
	rigErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedRig != nil {
		sharedRig.Stop()
	}
	os.Exit(code)
}

// apiserver returns the package's rig, starting it on first use.
func apiserver(t *testing.T) *rig.Rig {
	t.Helper()
	rigOnce.Do(func() {
		sharedRig, rigErr = rig.Start(context.Background(), rig.Options{Logf: t.Logf})
	})
	if rigErr != nil {
		t.Fatalf("start the rig: %v", rigErr)
	}
	return sharedRig
}

var (
	currentCRD = filepath.Join("..", "..", "config", "crd", "bases", "app.techweaver.io_vaultapps.yaml")
	// olderCRD is the CRD before issues 15 and 16 (see its header).
	olderCRD = filepath.Join("testdata", "vaultapps-crd-d11ffb8.yaml")
)

// installCRD creates or replaces the VaultApp CRD with the one in path and
// waits until the apiserver serves objects with its schema: a dry-run create
// of probe (strict field validation) succeeds.
func installCRD(t *testing.T, r *rig.Rig, path string, probe *unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, crd); err != nil {
		t.Fatal(err)
	}
	existing := &apiextensionsv1.CustomResourceDefinition{}
	switch err := r.Client.Get(ctx, client.ObjectKeyFromObject(crd), existing); {
	case apierrors.IsNotFound(err):
		err = r.Client.Create(ctx, crd)
		if err != nil {
			t.Fatalf("create the CRD: %v", err)
		}
	case err != nil:
		t.Fatal(err)
	default:
		crd.ResourceVersion = existing.ResourceVersion
		if err := r.Client.Update(ctx, crd); err != nil {
			t.Fatalf("replace the CRD: %v", err)
		}
	}
	var last error
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = r.Client.Create(ctx, probe.DeepCopy(), client.DryRunAll, client.FieldValidation("Strict"))
		return last == nil, nil
	}); err != nil {
		t.Fatalf("the apiserver did not take the CRD of %s: %v", path, last)
	}
}

// readObjects reads the objects of a YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := manifests.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// vaultApp is testdata/minimal.yaml named name in ns, with the given
// secrets entries and, if not nil, spec.secret.
func vaultApp(t *testing.T, name, ns string, secrets []any, secret map[string]any) *unstructured.Unstructured {
	t.Helper()
	u := readObjects(t, filepath.Join("testdata", "minimal.yaml"))[0]
	u.SetName(name)
	u.SetNamespace(ns)
	if err := unstructured.SetNestedSlice(u.Object, secrets, "spec", "vault", "secrets"); err != nil {
		t.Fatal(err)
	}
	if secret != nil {
		if err := unstructured.SetNestedMap(u.Object, secret, "spec", "secret"); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// newProbe and oldProbe tell the two CRDs apart: only the new one has
// whole-path entries and spec.secret; only the old one takes a name of more
// than 63 characters.
func newProbe(t *testing.T) *unstructured.Unstructured {
	return vaultApp(t, "probe", "default", []any{map[string]any{"path": "kv/data/probe"}}, map[string]any{"type": "Opaque"})
}

func oldProbe(t *testing.T) *unstructured.Unstructured {
	return vaultApp(t, strings.Repeat("p", 70), "default", []any{map[string]any{"path": "kv/data/probe", "key": "k", "targetKey": "k"}}, nil)
}
