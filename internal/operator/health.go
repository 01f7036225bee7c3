package operator

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// The probe endpoints (served on --health-probe-bind-address):
//
//	/healthz/ping   process is alive. The liveness probe: a Vault outage
//	                must never restart-loop the operator.
//	/healthz        ping + "vault": Vault answers and is unsealed.
//	/readyz         "vault-auth": the operator's Vault token is valid (it
//	                logs in if it has none).
//
// Both Vault checks cache their answer briefly so probes add little load.
const probeCacheTTL = 5 * time.Second

type cachedCheck struct {
	fn  func(ctx context.Context) error
	mu  sync.Mutex
	at  time.Time
	err error
}

func (c *cachedCheck) check(req *http.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < probeCacheTTL {
		return c.err
	}
	ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
	defer cancel()
	c.err, c.at = c.fn(ctx), time.Now()
	return c.err
}

func vaultHealth(p *vault.Pool) func(*http.Request) error {
	return (&cachedCheck{fn: p.Health}).check
}

func vaultAuth(s *vault.Session) func(*http.Request) error {
	return (&cachedCheck{fn: s.CheckToken}).check
}
