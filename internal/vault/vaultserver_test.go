package vault

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// vaultServer speaks the few Vault HTTP endpoints the client uses, in
// memory: logins (any auth mount), token lookup-self and renew-self, the
// mount table, KV v1 and v2 (data and metadata), reads and issues of other
// engines with leases, sys/leases lookup/renew/revoke and sys/health. It
// answers like Vault does (status codes and error texts included) and
// records every request, so tests can assert what was sent and what was not.
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
	denied     map[string]bool // API paths answering 403 to every token
	requests   []string        // "METHOD path", in order
	bodies     map[string]map[string]any
	namespaces []string // X-Vault-Namespace of every request
	sealed     bool
	// before runs before each request is handled (mu not held).
	before func(method, path string)
}

type kv2Entry struct {
	data    map[string]any // nil: the latest version is deleted
	version int
	custom  map[string]any
}

type engineSecret struct {
	data     map[string]any
	leaseTTL int // seconds; 0: no lease
}

type leaseState struct {
	expire    time.Time
	renewable bool
	maxEnd    time.Time // renewals are capped here
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
	if body == nil {
		body = map[string]any{}
	}
	body["mount"] = mount
	v.logins = append(v.logins, body)
	if v.loginCode != 0 {
		replyError(w, v.loginCode, fmt.Sprintf("invalid role name %q", body["role"]))
		return
	}
	v.nextToken++
	tok := fmt.Sprintf("token-%d", v.nextToken)
	v.tokens[tok] = true
	reply(w, 200, map[string]any{"auth": map[string]any{"client_token": tok, "lease_duration": v.tokenTTL, "renewable": v.renewable}})
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
	data := map[string]any{"path": m}
	for k, val := range def {
		data[k] = val
	}
	reply(w, 200, map[string]any{"data": data})
}

func (v *vaultServer) data(w http.ResponseWriter, method, p string, body map[string]any) {
	m, def := v.mountFor(p)
	rest := strings.TrimPrefix(p, m)
	switch {
	case def == nil:
		replyError(w, 404, "no handler for route "+p)
	case def["type"] == "kv" && def["options"].(map[string]any)["version"] == "2":
		v.kvV2(w, method, m, rest, body)
	case def["type"] == "kv":
		v.kvV1(w, method, p, body)
	case method == http.MethodGet:
		v.engineRead(w, p)
	default: // an engine that issues on write
		if _, ok := v.engine[p]; !ok {
			reply(w, 204, nil)
			return
		}
		v.engineRead(w, p)
	}
}

func (v *vaultServer) engineRead(w http.ResponseWriter, p string) {
	e, ok := v.engine[p]
	if !ok {
		replyError(w, 404)
		return
	}
	out := map[string]any{"data": e.data}
	if e.leaseTTL > 0 {
		id := fmt.Sprintf("%s/lease-%d", p, len(v.leases)+1)
		v.leases[id] = &leaseState{expire: time.Now().Add(time.Duration(e.leaseTTL) * time.Second), renewable: true,
			maxEnd: time.Now().Add(24 * time.Hour)}
		out["lease_id"], out["lease_duration"], out["renewable"] = id, e.leaseTTL, true
	}
	reply(w, 200, out)
}

func (v *vaultServer) kvV1(w http.ResponseWriter, method, p string, body map[string]any) {
	switch method {
	case http.MethodGet:
		if d, ok := v.kv1[p]; ok {
			reply(w, 200, map[string]any{"data": d})
			return
		}
		replyError(w, 404)
	case http.MethodDelete:
		delete(v.kv1, p)
		reply(w, 204, nil)
	default:
		v.kv1[p] = body
		reply(w, 204, nil)
	}
}

func (v *vaultServer) kvV2(w http.ResponseWriter, method, mount, rest string, body map[string]any) {
	kind, name, _ := strings.Cut(rest, "/")
	key := mount + name
	e := v.kv2[key]
	switch {
	case kind == "data" && method == http.MethodGet && (e == nil || e.version == 0):
		replyError(w, 404)
	case kind == "data" && method == http.MethodGet:
		// A deleted latest version is a 404 that still carries its metadata.
		code := map[bool]int{true: 200, false: 404}[e.data != nil]
		reply(w, code, map[string]any{"data": map[string]any{"data": e.data, "metadata": map[string]any{
			"version": e.version, "custom_metadata": e.custom, "deletion_time": ""}}})
	case kind == "data":
		v.kvV2Write(w, key, body)
	case kind == "metadata" && method == http.MethodGet && e == nil:
		replyError(w, 404)
	case kind == "metadata" && method == http.MethodGet:
		reply(w, 200, map[string]any{"data": map[string]any{"current_version": e.version, "custom_metadata": e.custom, "versions": map[string]any{}}})
	case kind == "metadata" && method == http.MethodDelete:
		delete(v.kv2, key)
		reply(w, 204, nil)
	case kind == "metadata":
		if e == nil {
			e = &kv2Entry{}
			v.kv2[key] = e
		}
		e.custom, _ = body["custom_metadata"].(map[string]any)
		reply(w, 204, nil)
	default:
		replyError(w, 404, "no handler for route "+mount+rest)
	}
}

func (v *vaultServer) kvV2Write(w http.ResponseWriter, key string, body map[string]any) {
	e := v.kv2[key]
	if e == nil {
		e = &kv2Entry{}
	}
	if opts, ok := body["options"].(map[string]any); ok {
		if cas, ok := opts["cas"].(float64); ok && int(cas) != e.version {
			replyError(w, 400, "check-and-set parameter did not match the current version")
			return
		}
	}
	e.data, _ = body["data"].(map[string]any)
	e.version++
	v.kv2[key] = e
	reply(w, 200, map[string]any{"data": map[string]any{"version": e.version, "deletion_time": ""}})
}

func (v *vaultServer) lease(w http.ResponseWriter, op string, body map[string]any) {
	id, _ := body["lease_id"].(string)
	if rid, ok := strings.CutPrefix(op, "revoke/"); ok {
		delete(v.leases, rid)
		reply(w, 204, nil)
		return
	}
	l, ok := v.leases[id]
	if !ok || time.Now().After(l.expire) {
		replyError(w, 400, "invalid lease")
		return
	}
	switch op {
	case "lookup":
		reply(w, 200, map[string]any{"data": map[string]any{"id": id, "ttl": int(time.Until(l.expire).Seconds()),
			"expire_time": l.expire.Format(time.RFC3339Nano), "renewable": l.renewable}})
	case "renew":
		if !l.renewable {
			replyError(w, 400, "lease is not renewable")
			return
		}
		inc, _ := body["increment"].(float64)
		l.expire = time.Now().Add(time.Duration(inc) * time.Second)
		if l.expire.After(l.maxEnd) {
			l.expire = l.maxEnd
		}
		reply(w, 200, map[string]any{"lease_id": id, "lease_duration": int(time.Until(l.expire).Round(time.Second).Seconds()), "renewable": true})
	default:
		replyError(w, 404, "no handler for route sys/leases/"+op)
	}
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

// requestsTo lists the requests ("METHOD path") whose path starts with prefix.
func (v *vaultServer) requestsTo(prefix string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, r := range v.requests {
		if _, p, _ := strings.Cut(r, " "); strings.HasPrefix(p, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// newGate is a channel requests can wait on, and its release. The release
// also runs when the test ends, before the server closes (which waits for
// the requests in flight).
func newGate(t *testing.T) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	release := sync.OnceFunc(func() { close(ch) })
	t.Cleanup(release)
	return ch, release
}
