package kube

import (
	"context"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	clientfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

const finalizer = "vault-sync.io/cleanup"

// patchCounter is a fake API server that records the merge patches it receives.
type patchCounter struct {
	client.Client
	patches []string
}

func newPatchCounter(t *testing.T, objs ...client.Object) *patchCounter {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	pc := &patchCounter{}
	pc.Client = clientfake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithInterceptorFuncs(interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			data, err := p.Data(obj)
			if err != nil {
				t.Fatal(err)
			}
			pc.patches = append(pc.patches, string(data))
			return c.Patch(ctx, obj, p, opts...)
		},
	}).Build()
	return pc
}

func deployment(finalizers ...string) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web", Finalizers: finalizers,
		Labels: map[string]string{"app": "web"}}}
}

// stored reads the API server's copy of the Deployment.
func stored(t *testing.T, c client.Client) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: "team", Name: "web"}, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestPatch(t *testing.T) {
	t.Run("should send nothing when nothing changed", func(t *testing.T) {
		c := newPatchCounter(t, deployment())
		d := stored(t, c)
		if err := Patch(t.Context(), c, d, func() { d.Labels["app"] = "web" }); err != nil || len(c.patches) != 0 {
			t.Fatalf("Patch = %v after %d patches, want none", err, len(c.patches))
		}
	})
	t.Run("should send only the change, with the resource version it was read at", func(t *testing.T) {
		c := newPatchCounter(t, deployment())
		d := stored(t, c)
		rv := d.ResourceVersion
		if err := Patch(t.Context(), c, d, func() { d.Annotations = map[string]string{"a": "b"} }); err != nil {
			t.Fatal(err)
		}
		want := `{"metadata":{"annotations":{"a":"b"},"resourceVersion":"` + rv + `"}}`
		if len(c.patches) != 1 || c.patches[0] != want {
			t.Fatalf("patches = %v, want [%s]", c.patches, want)
		}
		if s := stored(t, c); s.Annotations["a"] != "b" || d.ResourceVersion != s.ResourceVersion {
			t.Fatalf("stored %v at %s, in memory at %s", s.Annotations, s.ResourceVersion, d.ResourceVersion)
		}
	})
	t.Run("should turn a concurrent change into a conflict", func(t *testing.T) {
		c := newPatchCounter(t, deployment())
		d := stored(t, c)
		other := stored(t, c)
		other.Labels["tier"] = "front"
		if err := c.Update(t.Context(), other); err != nil {
			t.Fatal(err)
		}
		err := Patch(t.Context(), c, d, func() { d.Annotations = map[string]string{"a": "b"} })
		if !apierrors.IsConflict(err) {
			t.Fatalf("Patch of a stale object = %v, want a conflict", err)
		}
	})
	t.Run("should not fail for a deleted object", func(t *testing.T) {
		c := newPatchCounter(t)
		d := deployment()
		d.ResourceVersion = "1"
		if err := Patch(t.Context(), c, d, func() { d.Annotations = map[string]string{"a": "b"} }); err != nil {
			t.Fatalf("Patch of a deleted object = %v", err)
		}
	})
}

func TestSetFinalizer(t *testing.T) {
	cases := []struct {
		name        string
		has         []string
		present     bool
		wantPatches int
		want        []string
	}{
		{"should send nothing when the finalizer is already there", []string{finalizer}, true, 0, []string{finalizer}},
		{"should send nothing when removing a finalizer that is not there", []string{"other"}, false, 0, []string{"other"}},
		{"should add the finalizer next to others'", []string{"other"}, true, 1, []string{"other", finalizer}},
		{"should remove only its own finalizer", []string{"other", finalizer}, false, 1, []string{"other"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newPatchCounter(t, deployment(tc.has...))
			d := stored(t, c)
			d.Labels["app"] = "in-memory" // a change being built: neither sent nor lost
			d.Status.Replicas = 3

			if err := SetFinalizer(t.Context(), c, d, finalizer, tc.present); err != nil {
				t.Fatal(err)
			}
			if len(c.patches) != tc.wantPatches {
				t.Fatalf("patches = %v, want %d", c.patches, tc.wantPatches)
			}
			s := stored(t, c)
			if !slices.Equal(s.Finalizers, tc.want) || !slices.Equal(d.Finalizers, tc.want) {
				t.Fatalf("finalizers stored %v, in memory %v; want %v", s.Finalizers, d.Finalizers, tc.want)
			}
			if s.Labels["app"] != "web" || d.Labels["app"] != "in-memory" || d.Status.Replicas != 3 {
				t.Fatalf("other changes: stored label %q, in-memory label %q, replicas %d", s.Labels["app"], d.Labels["app"], d.Status.Replicas)
			}
			if d.ResourceVersion != s.ResourceVersion {
				t.Fatalf("in-memory resourceVersion %s, stored %s: the next patch would conflict", d.ResourceVersion, s.ResourceVersion)
			}
		})
	}
}
