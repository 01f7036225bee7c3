package vaultapp

import (
	"context"
	"errors"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
)

func TestVaultAppReadsEachPathOnce(t *testing.T) {
	fv := staticVault()
	app := sampleApp()
	r, _ := newTestReconciler(app, fv)
	vd, err := r.vaultData(context.Background(), app, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fv.Reads(dbPath) != 1 {
		t.Fatalf("path read %d times, want once (a dynamic path would issue two credentials)", fv.Reads(dbPath))
	}
	if string(vd.data["user"]) != "u" || string(vd.data["pass"]) != "p" {
		t.Fatalf("data = %v", vd.data)
	}
}

func TestVaultAppWithoutServiceMonitorCRDStillManagesTheService(t *testing.T) {
	app := sampleApp()
	r, c := newTestReconciler(app, staticVault())
	r.serviceMonitors = false
	if _, err := r.reconcileMonitoring(context.Background(), &pass{app: app, version: "v1"}); err != nil {
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
	fv := staticVault()
	app := sampleApp()
	app.Spec.Monitoring = nil
	r, c := newTestReconciler(app, fv)
	got, sec := reconcileOnce(t, r, app)
	var dep appsv1.Deployment
	_ = c.Get(context.Background(), request(app).NamespacedName, &dep)
	got2, sec2 := reconcileOnce(t, restarted(c, fv), got)
	var after appsv1.Deployment
	_ = c.Get(context.Background(), request(app).NamespacedName, &after)
	if after.ResourceVersion != dep.ResourceVersion || sec2.ResourceVersion != sec.ResourceVersion || got2.ResourceVersion != got.ResourceVersion {
		t.Fatalf("rewritten after restart: deployment %s -> %s, secret %s -> %s, vaultapp %s -> %s",
			dep.ResourceVersion, after.ResourceVersion, sec.ResourceVersion, sec2.ResourceVersion, got.ResourceVersion, got2.ResourceVersion)
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
				mark(app, ty, st, "R-"+ty, "m")
			}
			summarizeReady(app)
			c := meta.FindStatusCondition(app.Status.Conditions, appv1alpha1.ConditionReady)
			if c.Status != tc.want || (tc.want == "False" && c.Reason != tc.reason) {
				t.Fatalf("Ready = %s/%s, want %s/%s", c.Status, c.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestVaultAppPolicyIsCheckedBeforeAnyVaultCall(t *testing.T) {
	pol := &policy.Policy{Enforce: true, Operator: policy.Role{Name: "vault-sync-operator"},
		Static: []policy.Grant{{Namespaces: []string{"*"}, Roles: []policy.Role{{Name: "{{namespace}}-app"}}, Read: []string{"kv/data/{{namespace}}/*"}}}}
	cases := []struct {
		name, role, path, condition, reason string
	}{
		{"should refuse a role outside the namespace's templates", "other-team", "kv/data/ns/x", appv1alpha1.ConditionVaultAuthenticated, appv1alpha1.ReasonRoleNotAllowed},
		{"should refuse a path outside the namespace's templates", "ns-app", "kv/data/other-ns/x", appv1alpha1.ConditionSecretsSynced, appv1alpha1.ReasonPathNotAllowed},
		{"should refuse the operator's own role", "vault-sync-operator", "kv/data/ns/x", appv1alpha1.ConditionVaultAuthenticated, appv1alpha1.ReasonRoleNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fv := staticVault()
			app := sampleApp()
			app.Spec.Vault.Role = tc.role
			app.Spec.Vault.Secrets = []appv1alpha1.SecretRef{{Path: tc.path, Key: "k", TargetKey: "k"}}
			r, _ := newTestReconciler(app, fv)
			r.Policy = pol
			res, err := r.Reconcile(context.Background(), request(app))
			if !errors.Is(err, reconcile.TerminalError(nil)) || res.RequeueAfter != 0 {
				t.Fatalf("Reconcile = %+v, %v; want a terminal error: no retry until the spec changes", res, err)
			}
			var got appv1alpha1.VaultApp
			_ = r.Client.Get(context.Background(), client.ObjectKeyFromObject(app), &got)
			c := meta.FindStatusCondition(got.Status.Conditions, tc.condition)
			if c == nil || c.Reason != tc.reason {
				t.Fatalf("%s = %+v, want reason %s", tc.condition, c, tc.reason)
			}
			if fv.TotalReads() != 0 {
				t.Fatal("vault was read")
			}
		})
	}
}
