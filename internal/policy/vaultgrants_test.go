package policy

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	clientfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

func vaultGrant(name string, spec appv1alpha1.VaultGrantSpec) *appv1alpha1.VaultGrant {
	return &appv1alpha1.VaultGrant{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

func grantReader(t *testing.T, objs ...client.Object) client.Reader {
	t.Helper()
	s := runtime.NewScheme()
	if err := appv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return clientfake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
}

func TestVaultGrantsLeaveInvalidEntriesOutNeverWidened(t *testing.T) {
	r := grantReader(t, vaultGrant("billing", appv1alpha1.VaultGrantSpec{Namespaces: []string{"billing"},
		VaultAppRoles: []appv1alpha1.GrantedRole{{Name: "billing-app"}, {AuthPath: "jwt", Name: "{{namespace}}-*"}},
		ReadPaths:     []string{"kv/data/billing/*", "kv/data/bill*"},
		WritePaths:    []string{"secret/data/{{namespace}}/*", "secret/data/{{tenant}}/*"}}))
	got, err := VaultGrants{Reader: r, Log: logr.Discard()}.Grants(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []Grant{{Source: "VaultGrant billing", Namespaces: []string{"billing"}, Roles: []Role{{Name: "billing-app"}},
		Read: []string{"kv/data/billing/*"}, Write: []string{"secret/data/{{namespace}}/*"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Grants = %+v, want %+v", got, want)
	}

	p := &Policy{Enforce: true, Objects: VaultGrants{Reader: r, Log: logr.Discard()}, DefaultAuthPath: "kubernetes"}
	if err := p.AllowPath(t.Context(), "billing", "secret/data/billing/db", Write); err != nil {
		t.Fatalf("a granted write is refused: %v", err)
	}
	for _, path := range []string{"kv/data/billing-team/x", "secret/data/anything/x"} {
		if err := p.AllowPath(t.Context(), "billing", path, Read); err == nil {
			t.Fatalf("an invalid template's path %s is allowed", path)
		}
	}
	if err := p.AllowRole(t.Context(), "billing", "jwt", "billing-x"); err == nil {
		t.Fatal("a role of an ambiguous template is allowed")
	}
}

func TestVaultGrantsReportAFailedList(t *testing.T) {
	boom := errors.New("cache not synced")
	s := runtime.NewScheme()
	_ = appv1alpha1.AddToScheme(s)
	r := clientfake.NewClientBuilder().WithScheme(s).WithInterceptorFuncs(interceptor.Funcs{
		List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error { return boom },
	}).Build()
	if _, err := (VaultGrants{Reader: r, Log: logr.Discard()}).Grants(t.Context()); !errors.Is(err, boom) {
		t.Fatalf("Grants = %v, want the list error", err)
	}
}

func TestAGrantChangeEnqueuesTheObjectsOfItsNamespaces(t *testing.T) {
	h := OnGrantChange(func(_ context.Context, ns string) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: "app"}}}
	})
	cases := []struct {
		name  string
		grant client.Object
		want  []string // namespaces of the queued requests ("": listed across all)
	}{
		{"should enqueue the objects of each namespace a grant names", vaultGrant("g", appv1alpha1.VaultGrantSpec{Namespaces: []string{"a", "b"}}), []string{"a", "b"}},
		{"should enqueue the objects of all namespaces once for a grant to all", vaultGrant("g", appv1alpha1.VaultGrantSpec{Namespaces: []string{"a", "*"}}), []string{""}},
		{"should ignore what is not a VaultGrant", &appv1alpha1.VaultApp{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
			defer q.ShutDown()
			h.Create(t.Context(), event.TypedCreateEvent[client.Object]{Object: tc.grant}, q)
			var got []string
			for q.Len() > 0 {
				r, _ := q.Get()
				got = append(got, r.Namespace)
				q.Done(r)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("queued namespaces %q, want %q", got, tc.want)
			}
		})
	}
	if (*Policy)(nil).Watches() || (&Policy{}).Watches() || !(&Policy{Objects: grants{}}).Watches() {
		t.Fatal("Watches must say whether VaultGrants are read")
	}
}
