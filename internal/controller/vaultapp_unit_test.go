package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// fakeVault serves fixed data per path and counts reads. Paths listed in
// leaseTTL are dynamic: each read issues a new lease.
type fakeVault struct {
	data     map[string]map[string]any
	reads    map[string]int
	leaseTTL map[string]time.Duration
	// leases are the live leases: id -> expiry.
	leases  map[string]time.Time
	revoked []string
	renewed int
	gen     uint64
	// issue, when set, answers IssueSecret.
	issue func() map[string]any
	// renewErr, when set, fails every renewal.
	renewErr error
}

func (f *fakeVault) Identity() vault.Identity { return vault.Identity{Role: "r"} }
func (f *fakeVault) Generation() uint64       { return f.gen }

func (f *fakeVault) ReadSecret(_ context.Context, path string) (*vault.SecretData, error) {
	f.reads[path]++
	d, ok := f.data[path]
	if !ok {
		return nil, &vault.Error{Category: vault.CategoryNotFound, Op: "read", Path: path}
	}
	sd := &vault.SecretData{Data: d}
	if ttl, ok := f.leaseTTL[path]; ok {
		sd.LeaseID = fmt.Sprintf("%s/%d", path, f.reads[path])
		sd.LeaseDuration, sd.Renewable = ttl, true
		f.leases[sd.LeaseID] = time.Now().Add(ttl)
	}
	return sd, nil
}

func (f *fakeVault) IssueSecret(ctx context.Context, path string, _ map[string]any) (*vault.SecretData, error) {
	if f.issue != nil {
		f.reads[path]++
		return &vault.SecretData{Data: f.issue()}, nil
	}
	return f.ReadSecret(ctx, path)
}

func (f *fakeVault) LookupLease(_ context.Context, id string) (*vault.LeaseInfo, error) {
	exp, ok := f.leases[id]
	if !ok {
		return nil, &vault.Error{Category: vault.CategoryNotFound, Op: "lease lookup"}
	}
	return &vault.LeaseInfo{ID: id, ExpireTime: exp, TTL: time.Until(exp), Renewable: true}, nil
}

func (f *fakeVault) RenewLease(_ context.Context, id string, inc time.Duration) (*vault.LeaseInfo, error) {
	if f.renewErr != nil {
		return nil, f.renewErr
	}
	if _, ok := f.leases[id]; !ok {
		return nil, &vault.Error{Category: vault.CategoryNotFound, Op: "lease renew"}
	}
	f.renewed++
	f.leases[id] = time.Now().Add(inc)
	return &vault.LeaseInfo{ID: id, ExpireTime: f.leases[id], TTL: inc, Renewable: true}, nil
}

func (f *fakeVault) RevokeLease(_ context.Context, id string) error {
	delete(f.leases, id)
	f.revoked = append(f.revoked, id)
	return nil
}

func testScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(appv1alpha1.AddToScheme(s))
	return s
}

func sampleApp() *appv1alpha1.VaultApp {
	labels := map[string]string{"app": "a"}
	return &appv1alpha1.VaultApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a", UID: "uid-1", Generation: 1},
		Spec: appv1alpha1.VaultAppSpec{
			DeploymentSpec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "c", Image: "i", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}}}}}},
			Vault: appv1alpha1.VaultSpec{Role: "r", Secrets: []appv1alpha1.SecretRef{
				{Path: "database/creds/app", Key: "username", TargetKey: "user"},
				{Path: "database/creds/app", Key: "password", TargetKey: "pass"},
			}},
			Monitoring: &appv1alpha1.MonitoringSpec{Enabled: true, Path: "/metrics"},
		},
	}
}

func newTestReconciler(app *appv1alpha1.VaultApp, fv *fakeVault) (*VaultAppReconciler, client.Client) {
	c := fake.NewClientBuilder().WithScheme(testScheme()).WithObjects(app).WithStatusSubresource(app).Build()
	if fv.leases == nil {
		fv.leases = map[string]time.Time{}
	}
	return &VaultAppReconciler{Client: c, Vault: func(vault.Identity) VaultSession { return fv },
		Recorder: record.NewFakeRecorder(100), DefaultRefresh: 5 * time.Minute, leases: newLeaseBook()}, c
}

func TestVaultAppReadsEachPathOnce(t *testing.T) {
	fv := &fakeVault{data: map[string]map[string]any{"database/creds/app": {"username": "u", "password": "p"}}, reads: map[string]int{}}
	app := sampleApp()
	r, _ := newTestReconciler(app, fv)
	vd, err := r.reconcileVaultData(context.Background(), app, nil)
	data := vd.data
	if err != nil {
		t.Fatal(err)
	}
	if fv.reads["database/creds/app"] != 1 {
		t.Fatalf("path read %d times, want once (a dynamic path would issue two credentials)", fv.reads["database/creds/app"])
	}
	if string(data["user"]) != "u" || string(data["pass"]) != "p" {
		t.Fatalf("data = %v", data)
	}
}

func TestVaultAppWithoutServiceMonitorCRDStillManagesTheService(t *testing.T) {
	fv := &fakeVault{data: map[string]map[string]any{"database/creds/app": {"username": "u", "password": "p"}}, reads: map[string]int{}}
	app := sampleApp()
	r, c := newTestReconciler(app, fv)
	r.serviceMonitors = false
	if err := r.reconcileMonitoring(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	cond := meta.FindStatusCondition(app.Status.Conditions, appv1alpha1.ConditionMonitoringReady)
	if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != appv1alpha1.ReasonServiceMonitorCRDMissing {
		t.Fatalf("MonitoringReady = %+v", cond)
	}
	var svc corev1.Service
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: "a"}, &svc); err != nil {
		t.Fatalf("service not created: %v", err)
	}
}

func TestVaultAppRestartChangesNothing(t *testing.T) {
	fv := &fakeVault{data: map[string]map[string]any{"database/creds/app": {"username": "u", "password": "p"}}, reads: map[string]int{}}
	app := sampleApp()
	app.Spec.Monitoring = nil
	r, c := newTestReconciler(app, fv)
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(app)}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var dep appsv1.Deployment
	_ = c.Get(context.Background(), req.NamespacedName, &dep)
	// A new reconciler (a restarted operator) with unchanged Vault data.
	r2 := &VaultAppReconciler{Client: c, Vault: r.Vault, Recorder: record.NewFakeRecorder(10), DefaultRefresh: time.Minute, leases: newLeaseBook()}
	if _, err := r2.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var after appsv1.Deployment
	_ = c.Get(context.Background(), req.NamespacedName, &after)
	if after.ResourceVersion != dep.ResourceVersion {
		t.Fatalf("deployment rewritten after restart: %s -> %s", dep.ResourceVersion, after.ResourceVersion)
	}
}

func TestSummarizeReady(t *testing.T) {
	cases := []struct {
		name   string
		conds  map[string]metav1.ConditionStatus
		reason string
		want   metav1.ConditionStatus
	}{
		{"should be ready when every step is", map[string]metav1.ConditionStatus{"VaultAuthenticated": "True", "SecretsSynced": "True", "DeploymentReady": "True", "MonitoringReady": "True"}, "Succeeded", "True"},
		{"should take the first failing step's reason", map[string]metav1.ConditionStatus{"VaultAuthenticated": "True", "SecretsSynced": "False", "DeploymentReady": "False", "MonitoringReady": "True"}, "R-SecretsSynced", "False"},
		{"should be progressing before a step ran", map[string]metav1.ConditionStatus{"VaultAuthenticated": "True"}, "Progressing", "False"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := sampleApp()
			for ty, st := range tc.conds {
				setCondition(app, ty, st, "R-"+ty, "m")
			}
			summarizeReady(app)
			c := meta.FindStatusCondition(app.Status.Conditions, appv1alpha1.ConditionReady)
			if c.Status != tc.want || (tc.want == "False" && c.Reason != tc.reason) {
				t.Fatalf("Ready = %s/%s, want %s/%s", c.Status, c.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestDesiredDeploymentIsIdempotent(t *testing.T) {
	app := sampleApp()
	app.Spec.DeploymentSpec.Template.Spec.Volumes = []corev1.Volume{{Name: appv1alpha1.SecretsVolumeName}}
	d := desiredDeployment(app, "v1")
	app.Spec.DeploymentSpec = d.Spec // re-applying on its own output
	d2 := desiredDeployment(app, "v1")
	if n := len(d2.Spec.Template.Spec.Volumes); n != 1 {
		t.Fatalf("%d volumes, want 1", n)
	}
	if n := len(d2.Spec.Template.Spec.Containers[0].VolumeMounts); n != 1 {
		t.Fatalf("%d mounts, want 1", n)
	}
}

func TestVaultAppPolicyIsCheckedBeforeAnyVaultCall(t *testing.T) {
	pol, err := policy.New([]string{"kv/data/{{namespace}}/*"}, []string{"{{namespace}}-*"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, role, path, condition, reason string
	}{
		{"should refuse a role outside the namespace's templates", "other-team", "kv/data/ns/x", appv1alpha1.ConditionVaultAuthenticated, appv1alpha1.ReasonRoleNotAllowed},
		{"should refuse a path outside the namespace's templates", "ns-app", "kv/data/other-ns/x", appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonPathNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fv := &fakeVault{data: map[string]map[string]any{}, reads: map[string]int{}}
			app := sampleApp()
			app.Spec.Vault.Role = tc.role
			app.Spec.Vault.Secrets = []appv1alpha1.SecretRef{{Path: tc.path, Key: "k", TargetKey: "k"}}
			r, _ := newTestReconciler(app, fv)
			r.Policy = pol
			res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(app)})
			if err != nil || res.RequeueAfter != 0 {
				t.Fatalf("Reconcile = %+v, %v; want no retry until the spec changes", res, err)
			}
			var got appv1alpha1.VaultApp
			_ = r.Client.Get(context.Background(), client.ObjectKeyFromObject(app), &got)
			c := meta.FindStatusCondition(got.Status.Conditions, tc.condition)
			if c == nil || c.Reason != tc.reason {
				t.Fatalf("%s = %+v, want reason %s", tc.condition, c, tc.reason)
			}
			if len(fv.reads) != 0 {
				t.Fatalf("vault was read: %v", fv.reads)
			}
		})
	}
}
