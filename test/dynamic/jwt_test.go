package dynamic

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// TestJWTAuth: a VaultApp logs in through Vault's JWT auth method, which
// checks the service-account token against the apiserver's issuer keys
// (no token reviewer). A role bound to another audience, and an unknown
// role, give AuthFailed with Vault's reason.
func TestJWTAuth(t *testing.T) {
	RegisterTestingT(t)
	defer env.ShowOperatorLogOnFailure(t)
	ctx := context.Background()
	ns := "jwt"
	Expect(env.EnsureNamespace(ctx, ns)).To(Succeed())
	env.PutKV("kv/data/jwt/app", map[string]any{"token": "from-jwt-login"})
	for _, c := range []struct{ name, role, want string }{
		{"jwt-ok", "jwt-app", "True/Succeeded"},
		{"jwt-audience", "jwt-other-audience", "False/AuthFailed"},
		{"jwt-unknown", "no-such-role", "False/AuthFailed"},
	} {
		env.Create(jwtApp(ns, c.name, c.role))
		Eventually(env.Condition(ns, c.name, "VaultAuthenticated"), 30*time.Second, 250*time.Millisecond).Should(Equal(c.want), c.name)
	}
	Eventually(func() string { return string(env.AppSecretData(ns, "jwt-ok")["token"]) }, 10*time.Second).Should(Equal("from-jwt-login"))
	msg := func(name string) string { return env.ConditionMessage(ns, name, "VaultAuthenticated") }
	Expect(msg("jwt-audience")).To(ContainSubstring("aud"), "Vault's reason names the audience")
	Expect(msg("jwt-unknown")).To(ContainSubstring("no-such-role"))
	Expect(msg("jwt-unknown")).To(ContainSubstring("auth/jwt"))
}

// jwtApp reads kv/data/jwt/app with role, logging in through the JWT auth method.
func jwtApp(ns, name, role string) *appv1alpha1.VaultApp {
	app := e2e.NewVaultApp(ns, name, role, appv1alpha1.SecretRef{Path: "kv/data/jwt/app", Key: "token", TargetKey: "token"})
	app.Spec.Vault.AuthMethod = "jwt"
	return app
}

// TestJWTAuthRejectsExpiredAndForeignTokens: Vault's JWT method, trusting
// the apiserver's keys, rejects a token of the right subject and audience
// signed by the apiserver's own key but expired, and a token with another
// audience; the operator's session reports why, as an auth failure.
func TestJWTAuthRejectsExpiredAndForeignTokens(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	tok, err := env.ServiceAccountToken(ctx, rig.OperatorNamespace, rig.OperatorServiceAccount, []string{audience}, 10*time.Minute)
	Expect(err).NotTo(HaveOccurred())
	iss, err := rig.TokenIssuer(tok)
	Expect(err).NotTo(HaveOccurred())
	claims := func(aud string, exp time.Time) map[string]any {
		return map[string]any{"iss": iss, "sub": "system:serviceaccount:" + rig.OperatorNamespace + ":" + rig.OperatorServiceAccount,
			"aud": []string{aud}, "iat": exp.Add(-time.Hour).Unix(), "nbf": exp.Add(-time.Hour).Unix(), "exp": exp.Unix()}
	}
	login := func(jwt string) error {
		dir := t.TempDir()
		f := filepath.Join(dir, "token")
		Expect(os.WriteFile(f, []byte(jwt), 0o600)).To(Succeed())
		cfg := vault.DefaultConfig()
		cfg.Address, cfg.AuthMethod, cfg.Role = env.Vault.Addr, vault.AuthJWT, "jwt-app"
		pool, err := vault.NewPool(cfg, vault.FileJWT(f))
		Expect(err).NotTo(HaveOccurred())
		defer pool.Close()
		return pool.Operator().CheckToken(ctx)
	}
	// The same signer and claims are accepted while valid: the checks below fail for their reason only.
	valid, err := env.SignServiceAccountJWT(claims(audience, time.Now().Add(10*time.Minute)))
	Expect(err).NotTo(HaveOccurred())
	Expect(login(valid)).To(Succeed())

	expired, err := env.SignServiceAccountJWT(claims(audience, time.Now().Add(-10*time.Minute)))
	Expect(err).NotTo(HaveOccurred())
	err = login(expired)
	Expect(vault.IsCategory(err, vault.CategoryAuth)).To(BeTrue(), "%v", err)
	Expect(err).To(MatchError(ContainSubstring("expired")))

	foreign, err := env.SignServiceAccountJWT(claims("someone-else", time.Now().Add(10*time.Minute)))
	Expect(err).NotTo(HaveOccurred())
	err = login(foreign)
	Expect(vault.IsCategory(err, vault.CategoryAuth)).To(BeTrue(), "%v", err)
	Expect(err).To(MatchError(ContainSubstring("aud")))
}
