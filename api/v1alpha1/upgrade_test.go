package v1alpha1_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
)

// TestObjectsOfTheOlderCRDKeepWorking stores VaultApps under the CRD before
// issues 15 and 16, one of them with a duration Go cannot parse, then
// installs the current CRD. The typed client lists all of them throughout
// (the bad one reports its field), the valid ones update and server-side
// apply as before, and the bad one can be fixed with an update.
func TestObjectsOfTheOlderCRDKeepWorking(t *testing.T) {
	r := apiserver(t)
	ctx := context.Background()
	const ns = "upgrade"
	if err := r.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	installCRD(t, r, olderCRD, oldProbe(t))

	sample := readObjects(t, filepath.Join("..", "..", "config", "samples", "app_v1alpha1_vaultapp.yaml"))[0]
	sample.SetNamespace(ns)
	bad := vaultApp(t, "bad-grace", ns, []any{map[string]any{"path": "kv/data/a", "key": "k", "targetKey": "k"}}, nil)
	if err := unstructured.SetNestedField(bad.Object, "3000000h", "spec", "vault", "leases", "revokeGracePeriod"); err != nil {
		t.Fatal(err)
	}
	for _, o := range []*unstructured.Unstructured{sample, bad} {
		if err := r.Client.Create(ctx, o.DeepCopy()); err != nil {
			t.Fatalf("the older CRD refused %s: %v", o.GetName(), err)
		}
	}
	checkTypedList(t, r.Client, ns)

	installCRD(t, r, currentCRD, newProbe(t))
	checkTypedList(t, r.Client, ns)

	// The sample updates through the typed client and server-side applies.
	var app appv1alpha1.VaultApp
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "billing-service"}, &app); err != nil {
		t.Fatal(err)
	}
	app.Spec.Vault.RefreshInterval = appv1alpha1.NewDuration(2 * time.Minute)
	app.Labels = map[string]string{"updated": "yes"}
	if err := r.Client.Update(ctx, &app); err != nil {
		t.Errorf("update of an object stored under the older CRD: %v", err)
	}
	sample.SetNamespace(ns)
	if err := manifests.Apply(ctx, r.Client, []*unstructured.Unstructured{sample}); err != nil {
		t.Errorf("server-side apply of the sample over an object of the older CRD: %v", err)
	}

	// The bad object: an update that leaves the bad field alone passes
	// (the apiserver ratchets unchanged fields), a fix passes, a new bad value is refused.
	var b appv1alpha1.VaultApp
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "bad-grace"}, &b); err != nil {
		t.Fatal(err)
	}
	b.Labels = map[string]string{"touched": "yes"}
	if err := r.Client.Update(ctx, &b); err != nil {
		t.Errorf("update leaving the invalid duration unchanged: %v", err)
	}
	refused := b.DeepCopy()
	refused.Spec.Vault.Leases.RevokeGracePeriod = appv1alpha1.NewDuration(200 * time.Hour)
	if err := r.Client.Update(ctx, refused); err == nil || !strings.Contains(err.Error(), "revokeGracePeriod must be at most 168h") {
		t.Errorf("update to another invalid duration: err = %v", err)
	}
	b.Spec.Vault.Leases.RevokeGracePeriod = appv1alpha1.NewDuration(30 * time.Second)
	if err := r.Client.Update(ctx, &b); err != nil {
		t.Fatalf("fixing the duration: %v", err)
	}
	if errs := b.ValidateSpec(); len(errs) > 0 {
		t.Errorf("after the fix: %v", errs)
	}
}

// checkTypedList lists the namespace's VaultApps with the typed client, as
// the controller's informer does: the list decodes, the sample is intact,
// and only bad-grace reports an invalid field.
func checkTypedList(t *testing.T, c client.Client, ns string) {
	t.Helper()
	var list appv1alpha1.VaultAppList
	if err := c.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatalf("the typed list of VaultApps failed: %v", err)
	}
	seen := map[string]bool{}
	for _, a := range list.Items {
		seen[a.Name] = true
		errs := a.ValidateSpec()
		switch a.Name {
		case "billing-service":
			if len(errs) > 0 || a.Spec.Vault.Secrets[0].TargetKey != "db_url" {
				t.Errorf("sample: %v, %+v", errs, a.Spec.Vault.Secrets)
			}
		case "bad-grace":
			if len(errs) != 1 || errs[0].Field != "spec.vault.leases.revokeGracePeriod" {
				t.Errorf("bad-grace reports %v", errs)
			}
		}
	}
	if !seen["billing-service"] || !seen["bad-grace"] {
		t.Errorf("listed %v", seen)
	}
}
