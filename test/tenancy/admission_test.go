package tenancy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// rejected is a change to a valid VaultApp that the API server must refuse,
// and what its refusal must say (the field, and what is wrong).
type rejected struct {
	name   string
	mutate func(*appv1alpha1.VaultApp)
	says   []string
}

// duration is a Duration holding s exactly as a user wrote it (a value Go
// cannot parse is kept and sent as is).
func duration(s string) *appv1alpha1.Duration {
	d := &appv1alpha1.Duration{}
	_ = json.Unmarshal([]byte(`"`+s+`"`), d)
	return d
}

func withGrace(s string) func(*appv1alpha1.VaultApp) {
	return func(a *appv1alpha1.VaultApp) {
		a.Spec.Vault.Leases = &appv1alpha1.LeaseSpec{RevokeGracePeriod: duration(s)}
	}
}

func withPKITTL(s string) func(*appv1alpha1.VaultApp) {
	return func(a *appv1alpha1.VaultApp) {
		a.Spec.Vault.Secrets[0].Path = "pki/issue/team-a"
		a.Spec.Vault.Issue = []appv1alpha1.IssueSpec{{Path: "pki/issue/team-a", PKI: &appv1alpha1.PKIIssue{CommonName: "a.example.com", TTL: duration(s)}}}
	}
}

func withPath(p string) func(*appv1alpha1.VaultApp) {
	return func(a *appv1alpha1.VaultApp) { a.Spec.Vault.Secrets[0].Path = p }
}

func withIssuePath(p string) func(*appv1alpha1.VaultApp) {
	return func(a *appv1alpha1.VaultApp) {
		a.Spec.Vault.Secrets[0].Path = p
		a.Spec.Vault.Issue = []appv1alpha1.IssueSpec{{Path: p, Params: map[string]string{"kubernetes_namespace": teamA}}}
	}
}

func withAuthPath(p string) func(*appv1alpha1.VaultApp) {
	return func(a *appv1alpha1.VaultApp) { a.Spec.Vault.AuthPath = p }
}

func withRole(r string) func(*appv1alpha1.VaultApp) {
	return func(a *appv1alpha1.VaultApp) { a.Spec.Vault.Role = r }
}

func withName(n string) func(*appv1alpha1.VaultApp) {
	return func(a *appv1alpha1.VaultApp) { a.Name = n }
}

// rejections: bad durations (Go cannot parse 3000000h: it overflows),
// names too long or invalid, and "..", "//" and a leading or trailing "/"
// in every field that reaches a Vault path.
var rejections = []rejected{
	{"grace-overflows", withGrace("3000000h"), []string{"spec.vault.leases.revokeGracePeriod", "3000000h"}},
	{"grace-too-long", withGrace("169h"), []string{"revokeGracePeriod must be at most 168h"}},
	{"grace-negative", withGrace("-1s"), []string{"spec.vault.leases.revokeGracePeriod", "-1s"}},
	{"pki-ttl-overflows", withPKITTL("3000000h"), []string{"spec.vault.issue[0].pki.ttl", "3000000h"}},
	{"pki-ttl-too-short", withPKITTL("5s"), []string{"ttl must be at least 10s and at most 87600h"}},
	{"pki-ttl-too-long", withPKITTL("87601h"), []string{"ttl must be at least 10s and at most 87600h"}},
	{"refresh-too-often", func(a *appv1alpha1.VaultApp) { a.Spec.Vault.RefreshInterval = duration("1ms") }, []string{"refreshInterval must be at least 10s"}},
	{"monitoring-interval", func(a *appv1alpha1.VaultApp) {
		a.Spec.Monitoring = &appv1alpha1.MonitoringSpec{Enabled: true, Interval: "3000000h"}
	}, []string{"spec.monitoring.interval"}},
	{"name-64", withName(strings.Repeat("a", 64)), []string{"metadata.name must be at most 63"}},
	{"name-300", withName(strings.Repeat("a", 300)), []string{"metadata.name"}},
	{"name-dots", withName("team-b.app"), []string{"metadata.name"}},
	{"path-dotdot", withPath("kv/data/team-a/../team-b/app"), []string{"path must not contain '.' or '..' segments"}},
	{"path-dot", withPath("kv/data/team-a/./app"), []string{"path must not contain '.' or '..' segments"}},
	{"path-double-slash", withPath("kv/data//team-b/app"), []string{"spec.vault.secrets[0].path"}},
	{"path-leading-slash", withPath("/kv/data/team-a/app"), []string{"spec.vault.secrets[0].path"}},
	{"path-trailing-slash", withPath("kv/data/team-a/app/"), []string{"spec.vault.secrets[0].path"}},
	{"path-600", withPath("kv/data/team-a/" + strings.Repeat("x", 600)), []string{"spec.vault.secrets[0].path", "512"}},
	{"issue-dotdot", withIssuePath("kubernetes-secrets/creds/team-a/../team-b"), []string{"path must not contain '.' or '..' segments"}},
	{"issue-leading-slash", withIssuePath("/kubernetes-secrets/creds/team-b"), []string{"spec.vault.issue[0].path"}},
	{"authpath-dotdot", withAuthPath("kubernetes/../jwt"), []string{"authPath must not contain '.' or '..' segments"}},
	{"authpath-leading-slash", withAuthPath("/kubernetes"), []string{"spec.vault.authPath"}},
	{"authpath-trailing-slash", withAuthPath("kubernetes/"), []string{"spec.vault.authPath"}},
	{"authpath-double-slash", withAuthPath("kubernetes//team-b"), []string{"spec.vault.authPath"}},
	{"role-dotdot", withRole("../vault-sync-operator"), []string{"spec.vault.role"}},
	{"role-slash", withRole("team-b/../vault-sync-operator"), []string{"spec.vault.role"}},
}

// TestInvalidSpecsAreRejectedAtAdmission: mallory creates each rejected
// VaultApp, and also tries to change a valid one into it: the API server
// refuses both with a message naming what is wrong, the valid one is left
// as it was, and the operator keeps serving every namespace.
func TestInvalidSpecsAreRejectedAtAdmission(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	valid := staticApp(teamA, "valid")
	createAs(mallory, valid)
	for _, r := range rejections {
		app := staticApp(teamA, r.name)
		r.mutate(app)
		err := mallory.Create(ctx, app)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%s: %v", r.name, err)
		for _, s := range r.says {
			Expect(err.Error()).To(ContainSubstring(s), r.name)
		}
		if app.Name != r.name {
			continue // a name cannot be changed by an update
		}
		err = patchAs(mallory, teamA, valid.Name, &appv1alpha1.VaultApp{}, r.mutate)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "update %s: %v", r.name, err)
	}
	stored := e2e.Get(env.Client, teamA, valid.Name, &appv1alpha1.VaultApp{})
	Expect(stored.Generation).To(Equal(int64(1)), "the valid VaultApp was changed")
	expectNoHarm()
}
