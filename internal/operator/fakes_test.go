package operator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	clientfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// fakeManager is the part of a manager that the pool and probe wiring
// use: its clients and its health checks.
type fakeManager struct {
	ctrl.Manager
	client  client.Client
	healthz map[string]healthz.Checker
	readyz  map[string]healthz.Checker
}

func newFakeManager() *fakeManager {
	return &fakeManager{client: clientfake.NewClientBuilder().WithScheme(Scheme()).Build(),
		healthz: map[string]healthz.Checker{}, readyz: map[string]healthz.Checker{}}
}

func (m *fakeManager) GetClient() client.Client    { return m.client }
func (m *fakeManager) GetAPIReader() client.Reader { return m.client }
func (m *fakeManager) AddHealthzCheck(name string, c healthz.Checker) error {
	m.healthz[name] = c
	return nil
}
func (m *fakeManager) AddReadyzCheck(name string, c healthz.Checker) error {
	m.readyz[name] = c
	return nil
}

// tinyVault answers logins (recording the JWT presented), token look-ups,
// sys/health and an issue at pki/issue/web.
type tinyVault struct {
	*httptest.Server
	mu        sync.Mutex
	loginCode int
	sealed    bool
	jwts      []string
}

func newTinyVault(t *testing.T) *tinyVault {
	v := &tinyVault{}
	v.Server = httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.Close)
	return v
}

func (v *tinyVault) serve(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(p, "/login") && v.loginCode != 0:
		w.WriteHeader(v.loginCode)
		_, _ = w.Write([]byte(`{"errors":["invalid role name"]}`))
	case strings.HasSuffix(p, "/login"):
		v.jwts = append(v.jwts, body["jwt"].(string))
		_, _ = w.Write([]byte(`{"auth":{"client_token":"hvs.t","lease_duration":3600}}`))
	case p == "sys/health":
		_ = json.NewEncoder(w).Encode(map[string]any{"initialized": true, "sealed": v.sealed})
	case r.Header.Get("X-Vault-Token") != "hvs.t":
		w.WriteHeader(403)
		_, _ = w.Write([]byte(`{"errors":["permission denied"]}`))
	case p == "auth/token/lookup-self":
		_, _ = w.Write([]byte(`{"data":{"ttl":3600}}`))
	case p == "pki/issue/web":
		_, _ = w.Write([]byte(`{"data":{"certificate":"PEM"}}`))
	default:
		w.WriteHeader(404)
	}
}

func (v *tinyVault) presented() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.jwts...)
}

// tokenRequests is an API server that only answers TokenRequests, with
// tokens naming the service account, audiences and lifetime asked for.
func tokenRequests(t *testing.T) *rest.Config {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /api/v1/namespaces/<ns>/serviceaccounts/<name>/token
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		body, _ := io.ReadAll(r.Body)
		obj, _, err := clientgoscheme.Codecs.UniversalDeserializer().Decode(body, nil, nil) // client-go sends protobuf
		tr, ok := obj.(*authv1.TokenRequest)
		if len(parts) != 7 || parts[6] != "token" || err != nil || !ok {
			http.NotFound(w, r)
			return
		}
		tr.Status.Token = fmt.Sprintf("%s/%s for %s %ds", parts[3], parts[5], strings.Join(tr.Spec.Audiences, ","), *tr.Spec.ExpirationSeconds)
		tr.APIVersion, tr.Kind = "authentication.k8s.io/v1", "TokenRequest"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(tr)
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}
