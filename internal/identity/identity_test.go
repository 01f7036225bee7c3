package identity

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func deployment(serviceAccount string, annotations map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web", Annotations: annotations},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{ServiceAccountName: serviceAccount}}}}
}

func TestForDeployment(t *testing.T) {
	operator := Resolver{OperatorRole: "vso"}
	workload := Resolver{OperatorRole: "vso", Workload: true, PushRole: "{{cluster}}-{{namespace}}-push", Cluster: "prod"}
	cases := []struct {
		name string
		r    Resolver
		dep  *appsv1.Deployment
		want vault.Identity
	}{
		{"should push as the operator in operator mode, whatever the annotation says", operator,
			deployment("web-sa", map[string]string{pushsync.AnnotationRole: "team-admin"}), vault.Identity{Role: "vso"}},
		{"should push as the Deployment's service account with its annotated role in workload mode", workload,
			deployment("web-sa", map[string]string{pushsync.AnnotationRole: "team-web"}),
			vault.Identity{Role: "team-web", Namespace: "team", ServiceAccount: "web-sa"}},
		{"should render the default push role for the namespace and cluster", workload, deployment("web-sa", nil),
			vault.Identity{Role: "prod-team-push", Namespace: "team", ServiceAccount: "web-sa"}},
		{"should use the default service account when the pod names none", workload, deployment("", nil),
			vault.Identity{Role: "prod-team-push", Namespace: "team", ServiceAccount: "default"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.ForDeployment(tc.dep); got != tc.want {
				t.Fatalf("ForDeployment = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestForVaultApp(t *testing.T) {
	app := &appv1alpha1.VaultApp{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "billing"},
		Spec: appv1alpha1.VaultAppSpec{Vault: appv1alpha1.VaultSpec{Role: "billing", AuthMethod: vault.AuthJWT, AuthPath: "jwt-prod"}}}
	withSA := app.DeepCopy()
	withSA.Spec.DeploymentSpec.Template.Spec.ServiceAccountName = "billing-sa"
	cases := []struct {
		name string
		r    Resolver
		app  *appv1alpha1.VaultApp
		want vault.Identity
	}{
		{"should read as the operator with the app's role and auth mount in operator mode", Resolver{OperatorRole: "vso"}, withSA,
			vault.Identity{Method: vault.AuthJWT, AuthPath: "jwt-prod", Role: "billing"}},
		{"should read as the app's service account in workload mode", Resolver{Workload: true}, withSA,
			vault.Identity{Method: vault.AuthJWT, AuthPath: "jwt-prod", Role: "billing", Namespace: "team", ServiceAccount: "billing-sa"}},
		{"should read as the default service account when the app names none", Resolver{Workload: true}, app,
			vault.Identity{Method: vault.AuthJWT, AuthPath: "jwt-prod", Role: "billing", Namespace: "team", ServiceAccount: "default"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.ForVaultApp(tc.app); got != tc.want {
				t.Fatalf("ForVaultApp = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDescribeNamesTheServiceAccountVaultSees(t *testing.T) {
	if got := Describe(vault.Identity{Role: "r"}); got != "the operator's service account" {
		t.Fatalf("Describe(operator) = %q", got)
	}
	if got := Describe(vault.Identity{Role: "r", Namespace: "team", ServiceAccount: "web"}); got != "the app's service account team/web" {
		t.Fatalf("Describe(workload) = %q", got)
	}
}

// Policy checks and Vault logins must see the same auth mount: every
// identity the resolver gives is completed with the operator's method
// and mount.
func TestIdentitiesAreCompletedWithTheConfiguredAuthMount(t *testing.T) {
	cfg := vault.Config{AuthMethod: vault.AuthJWT, AuthPath: "oidc-prod"}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web"}}
	app := &appv1alpha1.VaultApp{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web"}}
	app.Spec.Vault.Role = "team-app"
	for _, r := range []Resolver{
		{OperatorRole: "vso", Complete: cfg.Complete},
		{OperatorRole: "vso", Workload: true, PushRole: "push", Complete: cfg.Complete},
	} {
		for name, id := range map[string]vault.Identity{"Operator": r.Operator(), "ForDeployment": r.ForDeployment(dep), "ForVaultApp": r.ForVaultApp(app)} {
			if id.Method != vault.AuthJWT || id.AuthPath != "oidc-prod" {
				t.Errorf("%s (workload %v) = %+v, want the configured JWT mount oidc-prod", name, r.Workload, id)
			}
		}
	}
	if id := (Resolver{OperatorRole: "vso"}).Operator(); id != (vault.Identity{Role: "vso"}) {
		t.Fatalf("Operator without Complete = %+v, want the bare role", id)
	}
}
