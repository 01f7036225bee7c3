package vault

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// vaultServer speaks the few Vault HTTP endpoints the client uses, in
// memory: logins (any auth mount), token lookup-self and renew-self, the
// mount table, KV v1 and v2 (data and metadata), reads and issues of other
// engines with leases, sys/leases lookup/renew/revoke and sys/health. It
// answers like Vault does (status codes and error texts included) and
// records every request, so tests can assert what was sent and what was not.
// Its storage side (KV, engines, leases) is in vaultserver_engines_test.go.
type vaultServer struct {
	URL string

	mu         sync.Mutex
	tokens     map[string]bool // tokens Vault knows
	nextToken  int
	tokenTTL   int              // seconds granted at login
	renewable  bool             // tokens are renewable
	renewTTL   int              // seconds granted by renew-self
	loginCode  int              // status answered to logins (0: success)
	loginGate  <-chan struct{}  // when set, logins wait for it
	logins     []map[string]any // bodies of login requests, with "mount"
	mounts     map[string]map[string]any
	kv2        map[string]*kv2Entry
	kv1        map[string]map[string]any
	engine     map[string]engineSecret
	leases     map[string]*leaseState
	denied     map[string]bool  // API paths answering 403 to every token
	requests   []string         // "METHOD path", in order
	sentBodies []map[string]any // the body of each of requests
	bodies     map[string]map[string]any
	namespaces []string // X-Vault-Namespace of every request
	sealed     bool
	// before runs before each request is handled (mu not held).
	before func(method, path string)
}

// newVaultServer starts a server with a KV v2 mount "secret", a KV v1 mount
// "kv1", a database engine and a PKI engine; logins grant 1h tokens.
func newVaultServer(t *testing.T) *vaultServer {
	v := &vaultServer{tokens: map[string]bool{}, tokenTTL: 3600, kv2: map[string]*kv2Entry{},
		kv1: map[string]map[string]any{}, engine: map[string]engineSecret{}, leases: map[string]*leaseState{},
		denied: map[string]bool{}, bodies: map[string]map[string]any{},
		mounts: map[string]map[string]any{
			"secret/":   {"type": "kv", "options": map[string]any{"version": "2"}},
			"kv1/":      {"type": "kv", "options": map[string]any{"version": "1"}},
			"database/": {"type": "database"},
			"pki/":      {"type": "pki"},
		}}
	srv := httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(srv.Close)
	v.URL = srv.URL
	return v
}

func (v *vaultServer) serve(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	if v.before != nil {
		v.before(r.Method, p)
	}
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.requests = append(v.requests, r.Method+" "+p)
	v.sentBodies = append(v.sentBodies, body)
	v.bodies[r.Method+" "+p] = body
	v.namespaces = append(v.namespaces, r.Header.Get("X-Vault-Namespace"))
	token := r.Header.Get("X-Vault-Token")
	switch {
	case strings.HasPrefix(p, "auth/") && strings.HasSuffix(p, "/login"):
		v.login(w, strings.TrimSuffix(strings.TrimPrefix(p, "auth/"), "/login"), body)
	case p == "sys/health":
		reply(w, 200, map[string]any{"initialized": true, "sealed": v.sealed})
	case !v.tokens[token] || v.denied[p]:
		reply(w, 403, map[string]any{"errors": []string{"1 error occurred:\n\t* permission denied\n\n"}})
	case p == "auth/token/lookup-self":
		reply(w, 200, map[string]any{"data": map[string]any{"id": token, "ttl": v.tokenTTL, "renewable": v.renewable}})
	case p == "auth/token/revoke-self":
		delete(v.tokens, token)
		reply(w, 204, nil)
	case p == "auth/token/renew-self":
		reply(w, 200, map[string]any{"auth": map[string]any{"client_token": token, "lease_duration": v.renewTTL, "renewable": true}})
	case strings.HasPrefix(p, "sys/internal/ui/mounts/"):
		v.mountOf(w, strings.TrimPrefix(p, "sys/internal/ui/mounts/"))
	case strings.HasPrefix(p, "sys/leases/"):
		v.lease(w, strings.TrimPrefix(p, "sys/leases/"), body)
	default:
		v.data(w, r.Method, p, body)
	}
}

func reply(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if body != nil {
		_ = json.NewEncoder(w).Encode(body)
	}
}

func replyError(w http.ResponseWriter, code int, msg ...string) {
	reply(w, code, map[string]any{"errors": append([]string{}, msg...)})
}

func (v *vaultServer) login(w http.ResponseWriter, mount string, body map[string]any) {
	gate := v.loginGate
	if gate != nil { // let concurrent callers pile up
		v.mu.Unlock()
		<-gate
		v.mu.Lock()
	}
	v.logins = append(v.logins, map[string]any{"mount": mount, "role": body["role"], "jwt": body["jwt"]})
	if v.loginCode != 0 {
		replyError(w, v.loginCode, fmt.Sprintf("invalid role name %q", body["role"]))
		return
	}
	v.nextToken++
	tok := fmt.Sprintf("token-%d", v.nextToken)
	v.tokens[tok] = true
	reply(w, 200, map[string]any{"auth": map[string]any{"client_token": tok, "lease_duration": v.tokenTTL, "renewable": v.renewable}})
}

// requestsTo lists the requests ("METHOD path") whose path starts with
// prefix, a KV v2 data write with its check-and-set ("PUT secret/data/app cas=0").
func (v *vaultServer) requestsTo(prefix string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for i, r := range v.requests {
		if _, p, _ := strings.Cut(r, " "); !strings.HasPrefix(p, prefix) {
			continue
		}
		if opts, ok := v.sentBodies[i]["options"].(map[string]any); ok && opts["cas"] != nil {
			r += fmt.Sprintf(" cas=%v", opts["cas"])
		}
		out = append(out, r)
	}
	return out
}

// mountFor is the longest mount containing p.
func (v *vaultServer) mountFor(p string) (string, map[string]any) {
	best := ""
	for m := range v.mounts {
		if strings.HasPrefix(p+"/", m) && len(m) > len(best) {
			best = m
		}
	}
	return best, v.mounts[best]
}

func (v *vaultServer) mountOf(w http.ResponseWriter, p string) {
	m, def := v.mountFor(p)
	if m == "" {
		replyError(w, 400, "preflight capability check returned 403, please ensure client's policies grant access to the path")
		return
	}
	data := maps.Clone(def)
	data["path"] = m
	reply(w, 200, map[string]any{"data": data})
}

// with runs f with the server's state locked (to set up or inspect it).
func (v *vaultServer) with(f func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f()
}

// sent counts the requests ("METHOD path") that start with prefix.
func (v *vaultServer) sent(prefix string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for _, r := range v.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// revokeTokens forgets every token, as `vault token revoke` would.
func (v *vaultServer) revokeTokens() {
	v.with(func() { v.tokens = map[string]bool{} })
}
