package secretdata

import (
	"reflect"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

func TestMergeLabelsAndAnnotationsTheOperatorsOwnWin(t *testing.T) {
	own := map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.VaultAppNameLabel: "web"}
	user := map[string]v1alpha1.LabelValue{
		"team":                       "payments",
		v1alpha1.ManagedByLabel:      "someone-else", // refused by the CRD; an older CRD admitted it
		"app.techweaver.io/other":    "x",
		"vaultapp.techweaver.io/foo": "y",
		"example.com/tier":           "backend",
	}
	want := map[string]string{"team": "payments", "example.com/tier": "backend",
		v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.VaultAppNameLabel: "web"}
	if got := MergeLabels(user, own); !reflect.DeepEqual(got, want) {
		t.Errorf("labels = %v, want %v", got, want)
	}

	ownAnn := map[string]string{"vaultapp.techweaver.io/leases": "{}"}
	userAnn := map[string]string{"vaultapp.techweaver.io/leases": "forged", "reloader.example.com/match": "true"}
	wantAnn := map[string]string{"vaultapp.techweaver.io/leases": "{}", "reloader.example.com/match": "true"}
	if got := MergeAnnotations(userAnn, ownAnn); !reflect.DeepEqual(got, wantAnn) {
		t.Errorf("annotations = %v, want %v", got, wantAnn)
	}
	if got := MergeAnnotations(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("empty merge = %v", got)
	}
}
