package tenancy

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// keySecret is the operator's HMAC key Secret (internal/operator.KeySecretName).
const keySecret = "vault-sync-operator-hmac-key"

// TestTenantRBACStopsAtItsNamespace: with the built-in edit role in team-a
// (VaultApps aggregated into it), mallory manages VaultApps there, and the
// API server refuses everything else the attacks would need: granting
// herself Vault access, writing a VaultApp's status, touching team-b, and
// reading or borrowing the operator's own secrets and identity.
func TestTenantRBACStopsAtItsNamespace(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	createAs(mallory, staticApp(teamA, "rbac-own"))
	Expect(mallory.List(ctx, &appv1alpha1.VaultAppList{}, client.InNamespace(teamA))).To(Succeed())

	everything := &appv1alpha1.VaultGrant{ObjectMeta: metav1.ObjectMeta{Name: "mallory-everything"},
		Spec: appv1alpha1.VaultGrantSpec{Namespaces: []string{teamA}, VaultAppRoles: []appv1alpha1.GrantedRole{{Name: "*"}},
			ReadPaths: []string{"*"}, WritePaths: []string{"*"}}}
	grant := e2e.Get(env.Client, "", "team-namespaces", &appv1alpha1.VaultGrant{})
	Expect(grant).NotTo(BeNil())
	status := e2e.Get(env.Client, teamA, "rbac-own", &appv1alpha1.VaultApp{})
	status.Status.SecretVersion = "forged"
	forbidden := map[string]error{
		"create a VaultGrant":      mallory.Create(ctx, everything),
		"change a VaultGrant":      mallory.Update(ctx, withNamespaces(grant, teamA, "*")),
		"delete a VaultGrant":      mallory.Delete(ctx, grant),
		"write a VaultApp status":  mallory.Status().Update(ctx, status),
		"read team-b's VaultApp":   mallory.Get(ctx, objectKey(teamB, bApp), &appv1alpha1.VaultApp{}),
		"create in team-b":         mallory.Create(ctx, staticApp(teamB, "from-mallory")),
		"read team-b's Secret":     mallory.Get(ctx, objectKey(teamB, "db"), &corev1.Secret{}),
		"delete team-b's push":     mallory.Delete(ctx, e2e.Get(env.Client, teamB, "db", &appsv1.Deployment{})),
		"read the HMAC key":        mallory.Get(ctx, objectKey(rig.OperatorNamespace, keySecret), &corev1.Secret{}),
		"list the operator's data": mallory.List(ctx, &corev1.SecretList{}, client.InNamespace(rig.OperatorNamespace)),
		"create in the operator's": mallory.Create(ctx, staticApp(rig.OperatorNamespace, "from-mallory")),
		"bind herself admin":       mallory.Create(ctx, adminBinding(teamA, "mallory")),
		"token of the operator": mallory.SubResource("token").Create(ctx,
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: rig.OperatorNamespace, Name: rig.OperatorServiceAccount}},
			&authnv1.TokenRequest{}),
	}
	for what, err := range forbidden {
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s: %v", what, err)
	}

	Expect(mayImpersonateOperator(ctx)).To(BeFalse(), "mallory may impersonate the operator's service account")
	Expect(patchAs(mallory, teamA, "rbac-own", &appv1alpha1.VaultApp{}, func(a *appv1alpha1.VaultApp) {
		a.Status.SecretVersion = "forged"
	})).To(Succeed(), "the VaultApp is hers to change")
	Expect(env.AppStatus(teamA, "rbac-own").SecretVersion).NotTo(Equal("forged"), "an update of the VaultApp changes no status")
	expectNoHarm()
}

// mayImpersonateOperator asks the API server, as mallory, whether she may
// impersonate the operator's service account.
func mayImpersonateOperator(ctx context.Context) bool {
	review := &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
		Namespace: rig.OperatorNamespace, Verb: "impersonate", Resource: "serviceaccounts", Name: rig.OperatorServiceAccount}}}
	ExpectWithOffset(1, mallory.Create(ctx, review)).To(Succeed())
	return review.Status.Allowed
}

func withNamespaces(g *appv1alpha1.VaultGrant, ns ...string) *appv1alpha1.VaultGrant {
	g = g.DeepCopy()
	g.Spec.Namespaces = ns
	return g
}

func adminBinding(ns, user string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: user + "-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}
}

func objectKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
