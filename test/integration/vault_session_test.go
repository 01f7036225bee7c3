package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// loginCounter counts logins by result.
type loginCounter struct {
	mu     sync.Mutex
	logins map[string]int
}

func (c *loginCounter) Login(result string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.logins[result]++
}
func (c *loginCounter) Request(vault.RequestKind, int) {}
func (c *loginCounter) count(r string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logins[r]
}

// newPool is the operator's Vault session for role, outside the running
// operator, with its logins counted.
func newPool(t *testing.T, role string) (*vault.Client, *loginCounter) {
	cfg := vault.DefaultConfig()
	cfg.Role, cfg.Timeout = role, 5*time.Second
	obs := &loginCounter{logins: map[string]int{}}
	pool, err := env.OperatorPool(cfg, vault.WithObserver(obs))
	Expect(err).NotTo(HaveOccurred())
	t.Cleanup(pool.Close)
	return pool.Operator(), obs
}

func TestVaultSessionLogsInAgainWhenTheTokenExpires(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	Expect(env.Vault.WriteKubernetesRole(ctx, "kubernetes", "short-ttl", rig.KubernetesRole{
		ServiceAccountNames: []string{rig.OperatorServiceAccount}, Namespaces: []string{rig.OperatorNamespace},
		Policies: []string{rig.OperatorPolicyName}, TTL: 2 * time.Second, MaxTTL: 3 * time.Second})).To(Succeed())
	s, obs := newPool(t, "short-ttl")
	loc, err := s.ResolveKV(ctx, "secret/data/session-expiry")
	Expect(err).NotTo(HaveOccurred())
	Expect(s.WriteKV(ctx, loc, map[string]any{"k": "1"})).To(Succeed())
	Expect(obs.count("success")).To(Equal(1))

	time.Sleep(4 * time.Second) // past max TTL: the token is dead
	Expect(s.WriteKV(ctx, loc, map[string]any{"k": "2"})).To(Succeed(), "expiry leads to a new login, not a failure")
	Expect(obs.count("success")).To(Equal(2))
}

func TestVaultSessionRecoversFromARevokedToken(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	s, obs := newPool(t, rig.OperatorRole)
	c, err := s.APIClient(ctx)
	Expect(err).NotTo(HaveOccurred())
	err = env.Vault.Root.Auth().Token().RevokeTree(c.Token())
	Expect(err).NotTo(HaveOccurred())

	loc, err := s.ResolveKV(ctx, "secret/data/session-revoked")
	Expect(err).NotTo(HaveOccurred(), "a 403 from a revoked token triggers a fresh login and one retry")
	Expect(s.WriteKV(ctx, loc, map[string]any{"k": "v"})).To(Succeed())
	Expect(obs.count("success")).To(Equal(2))
}

func TestVaultSessionWrongRoleIsAnAuthError(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	s, obs := newPool(t, "no-such-role")
	_, err := s.ResolveKV(ctx, "secret/data/x")
	Expect(vault.CategoryOf(err)).To(Equal(vault.CategoryAuth))
	Expect(err.Error()).To(ContainSubstring(`invalid role name "no-such-role"`))
	// A burst of callers does not become a burst of logins.
	for i := 0; i < 20; i++ {
		_, _ = s.ResolveKV(ctx, "secret/data/x")
	}
	Expect(obs.count(string(vault.CategoryAuth))).To(Equal(1))

	// A role that does not bind the operator's service account: Vault says permission denied.
	Expect(env.Vault.WriteKubernetesRole(ctx, "kubernetes", "other-sa", rig.KubernetesRole{
		ServiceAccountNames: []string{"someone-else"}, Namespaces: []string{rig.OperatorNamespace},
		Policies: []string{rig.OperatorPolicyName}, TTL: time.Hour})).To(Succeed())
	s2, _ := newPool(t, "other-sa")
	_, err = s2.ResolveKV(ctx, "secret/data/x")
	Expect(vault.CategoryOf(err)).To(Equal(vault.CategoryAuth))
	Expect(err.Error()).To(HavePrefix("permission denied"))
}
