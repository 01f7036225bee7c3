package kube

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func TestPatchRebasing(t *testing.T) {
	const record = "vault-sync.io/state"
	cases := []struct {
		name      string
		elsewhere func(d *appsv1.Deployment) // what another writer changed in between
		rebased   bool
	}{
		{"should send the change again after an unrelated update (status, labels)", func(d *appsv1.Deployment) {
			d.Labels["tier"] = "front"
			d.Annotations["deployment.kubernetes.io/revision"] = "2"
		}, true},
		{"should return the conflict when the annotation it changes moved", func(d *appsv1.Deployment) { d.Annotations[record] = "theirs" }, false},
		{"should return the conflict when the finalizers moved", func(d *appsv1.Deployment) { d.Finalizers = append(d.Finalizers, "other/x") }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dep := deployment(finalizer)
			dep.Annotations = map[string]string{record: "old"}
			c := newPatchCounter(t, dep)
			d := stored(t, c)
			other := stored(t, c)
			tc.elsewhere(other)
			if err := c.Update(t.Context(), other); err != nil {
				t.Fatal(err)
			}
			err := PatchRebasing(t.Context(), c, c, d, func() { d.Annotations[record] = "new" })
			got := stored(t, c)
			if tc.rebased {
				if err != nil || got.Annotations[record] != "new" || got.Labels["tier"] != "front" || d.ResourceVersion != got.ResourceVersion {
					t.Fatalf("PatchRebasing = %v; stored %v %v at %s, in memory at %s", err, got.Annotations, got.Labels, got.ResourceVersion, d.ResourceVersion)
				}
				return
			}
			if !apierrors.IsConflict(err) || got.Annotations[record] == "new" {
				t.Fatalf("PatchRebasing = %v, stored %v: want the conflict and nothing written", err, got.Annotations)
			}
		})
	}
}
