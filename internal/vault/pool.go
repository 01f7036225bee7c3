package vault

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	vaultapi "github.com/hashicorp/vault/api"
)

// Pool hands out one Client per Identity and shares what is common to all
// of them: the HTTP transport and the mount table cache.
type Pool struct {
	cfg         Config
	base        *vaultapi.Client
	obs         Observer
	log         logr.Logger
	operatorJWT JWTSource
	workloadJWT func(namespace, serviceAccount string) JWTSource
	mounts      *mountCache
	tokenCheck  time.Duration
	tokens      TokenStore
	idle        time.Duration

	mu         sync.Mutex
	clients    map[Identity]*Client
	onReplaced []func(Identity)
}

// PoolOption customises a Pool.
type PoolOption func(*Pool)

// WithObserver reports logins and requests (metrics).
func WithObserver(o Observer) PoolOption { return func(p *Pool) { p.obs = o } }

// WithLogger sets the logger.
func WithLogger(l logr.Logger) PoolOption { return func(p *Pool) { p.log = l } }

// WithWorkloadJWT sets how tokens of workloads' service accounts are obtained
// (workload-identity mode).
func WithWorkloadJWT(f func(namespace, serviceAccount string) JWTSource) PoolOption {
	return func(p *Pool) { p.workloadJWT = f }
}

// WithTokenCheck sets how often sessions holding leases check that their
// token is still valid (0 disables the check).
func WithTokenCheck(d time.Duration) PoolOption { return func(p *Pool) { p.tokenCheck = d } }

// WithIdleTimeout evicts clients unused for d that hold no leases, and
// revokes their tokens (0 keeps them forever).
func WithIdleTimeout(d time.Duration) PoolOption { return func(p *Pool) { p.idle = d } }

// WithTokenStore persists the tokens of sessions that hold leases.
func WithTokenStore(ts TokenStore) PoolOption { return func(p *Pool) { p.tokens = ts } }

// OnTokenReplaced registers f, called (in its own goroutine) with the
// identity of a session that holds leases whenever its token is replaced.
func (p *Pool) OnTokenReplaced(f func(Identity)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onReplaced = append(p.onReplaced, f)
}

func (p *Pool) tokenReplaced(id Identity) {
	p.mu.Lock()
	fs := slices.Clone(p.onReplaced)
	p.mu.Unlock()
	for _, f := range fs {
		f(id)
	}
}

// NewPool builds the shared Vault client. operatorJWT is the operator's own
// service-account token source.
func NewPool(cfg Config, operatorJWT JWTSource, opts ...PoolOption) (*Pool, error) {
	p := &Pool{cfg: cfg, obs: nopObserver{}, log: logr.Discard(), operatorJWT: operatorJWT,
		mounts: newMountCache(10 * time.Minute), clients: map[Identity]*Client{}, tokenCheck: 10 * time.Second, idle: DefaultIdleTimeout}
	for _, o := range opts {
		o(p)
	}
	ac, err := cfg.apiConfig()
	if err != nil {
		return nil, err
	}
	if t, ok := ac.HttpClient.Transport.(*http.Transport); ok {
		// Many reconciles run in parallel against one Vault: keep connections.
		t.MaxIdleConnsPerHost = 64
	}
	ac.HttpClient.Transport = &countingTransport{next: ac.HttpClient.Transport, obs: p.obs}
	c, err := vaultapi.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("create vault client: %w", err)
	}
	c.ClearToken() // never pick up VAULT_TOKEN: every token comes from a login
	if cfg.Namespace != "" {
		c.SetNamespace(cfg.Namespace)
	}
	p.base = c
	return p, nil
}

// Operator returns the client of the operator's own identity (--vault-role).
func (p *Pool) Operator() *Client {
	return p.Client(Identity{Role: p.cfg.Role})
}

// Client returns the cached client for id, creating it on first use.
// An empty Method or AuthPath means the configured one.
func (p *Pool) Client(id Identity) *Client {
	id = p.cfg.Complete(id)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[id]; ok {
		return c
	}
	c := p.newClient(id)
	p.clients[id] = c
	return c
}

func (p *Pool) newClient(id Identity) *Client {
	jwt := p.operatorJWT
	if id.ServiceAccount != "" && p.workloadJWT != nil {
		jwt = p.workloadJWT(id.Namespace, id.ServiceAccount)
	}
	s := &Session{id: id, base: p.base, jwt: jwt, obs: p.obs, now: time.Now, timeout: max(p.cfg.Timeout, 5*time.Second),
		log:    p.log.WithValues("vaultRole", id.Role),
		leases: &leaseHolding{tokens: p.tokens, every: p.tokenCheck, onReplaced: p.tokenReplaced}}
	kv := &KV{s: s, mounts: p.mounts, maxRequest: p.cfg.MaxRequestSize}
	return &Client{Session: s, KV: kv, Secrets: &Secrets{s: s, kv: kv}, Leases: &Leases{s: s}}
}

// Health checks that Vault answers and is unsealed (sys/health needs no token).
func (p *Pool) Health(ctx context.Context) error {
	h, err := p.base.Sys().HealthWithContext(ctx)
	if err != nil {
		return classify("health", "sys/health", err)
	}
	if h.Sealed {
		return &Error{Category: CategoryUnavailable, Op: "health", Path: "sys/health", Err: fmt.Errorf("vault is sealed")}
	}
	return nil
}

// DefaultIdleTimeout is how long an unused client is kept.
const DefaultIdleTimeout = 30 * time.Minute

// Run evicts idle clients until ctx ends: a client unused for the idle
// timeout that holds no leases is dropped and its token revoked, so the
// pool and its tokens grow with the identities in use, not with every
// identity ever seen. The operator's own client is kept.
func (p *Pool) Run(ctx context.Context) error {
	if p.idle <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(max(p.idle/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.evictIdle(ctx)
		}
	}
}

// evictIdle drops the clients idle for longer than the idle timeout.
func (p *Pool) evictIdle(ctx context.Context) {
	operator := p.cfg.Complete(Identity{Role: p.cfg.Role})
	cutoff := time.Now().Add(-p.idle)
	var evicted []*Client
	p.mu.Lock()
	for id, c := range p.clients {
		last, evictable := c.idleSince()
		if id != operator && evictable && last.Before(cutoff) {
			delete(p.clients, id)
			evicted = append(evicted, c)
		}
	}
	p.mu.Unlock()
	for _, c := range evicted {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c.revoke(rctx) // before Close, which forgets the token
		cancel()
		c.Close()
		p.log.V(1).Info("evicted idle vault client", "vaultRole", c.id.Role, "namespace", c.id.Namespace)
	}
}

// Size is the number of clients held (a metric, and for tests).
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients)
}

// Close stops every session's token renewal.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.clients {
		c.Close()
	}
}
