package operator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
)

// secretsAPI is the little of a Kubernetes API server loadOrCreateKey
// uses: discovery of core/v1 Secrets, and GET and POST of Secrets.
type secretsAPI struct {
	mu      sync.Mutex
	secrets map[string]*corev1.Secret // by namespace/name
	creates int
	// onCreate runs before a create is stored (another replica's create, say).
	onCreate func()
}

func newSecretsAPI(t *testing.T) (*secretsAPI, *rest.Config) {
	a := &secretsAPI{secrets: map[string]*corev1.Secret{}}
	srv := httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(srv.Close)
	// JSON: this server speaks no protobuf.
	return a, &rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{ContentType: "application/json", AcceptContentTypes: "application/json"}}
}

func (a *secretsAPI) put(s *corev1.Secret) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.secrets[s.Namespace+"/"+s.Name] = s.DeepCopy()
}

func (a *secretsAPI) serve(w http.ResponseWriter, r *http.Request) {
	write := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	status := func(code int, reason metav1.StatusReason) {
		write(code, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: "Failure", Code: int32(code), Reason: reason})
	}
	switch p := r.URL.Path; {
	case p == "/api":
		write(200, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
	case p == "/apis":
		write(200, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}})
	case p == "/api/v1":
		write(200, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "v1",
			APIResources: []metav1.APIResource{{Name: "secrets", Namespaced: true, Kind: "Secret", Verbs: []string{"get", "create"}}}})
	case strings.HasPrefix(p, "/api/v1/namespaces/") && r.Method == http.MethodGet:
		ns, name := secretOf(p)
		a.mu.Lock()
		s := a.secrets[ns+"/"+name]
		a.mu.Unlock()
		if s == nil {
			status(404, metav1.StatusReasonNotFound)
			return
		}
		write(200, s)
	case strings.HasPrefix(p, "/api/v1/namespaces/") && r.Method == http.MethodPost:
		var s corev1.Secret
		_ = json.NewDecoder(r.Body).Decode(&s)
		if a.onCreate != nil {
			a.onCreate()
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		a.creates++
		if a.secrets[s.Namespace+"/"+s.Name] != nil {
			status(409, metav1.StatusReasonAlreadyExists)
			return
		}
		a.secrets[s.Namespace+"/"+s.Name] = &s
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_ = json.NewEncoder(w).Encode(&s)
	default:
		status(404, metav1.StatusReasonNotFound)
	}
}

// secretOf splits /api/v1/namespaces/<ns>/secrets/<name>.
func secretOf(p string) (ns, name string) {
	parts := strings.Split(strings.TrimPrefix(p, "/api/v1/namespaces/"), "/")
	if len(parts) == 3 {
		return parts[0], parts[2]
	}
	return parts[0], ""
}

func keySecret(raw []byte) *corev1.Secret {
	return &corev1.Secret{TypeMeta: metav1.TypeMeta{Kind: "Secret", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: KeySecretName}, Data: map[string][]byte{keyField: raw}}
}

func TestTheHMACKeyIsCreatedOnceAndThenReused(t *testing.T) {
	api, cfg := newSecretsAPI(t)
	first, err := loadOrCreateKey(t.Context(), cfg, "ops")
	if err != nil {
		t.Fatal(err)
	}
	api.mu.Lock()
	stored := api.secrets["ops/"+KeySecretName]
	api.mu.Unlock()
	if stored == nil || len(stored.Data[keyField]) < 32 || stored.Labels["app.kubernetes.io/managed-by"] != "vault-sync-operator" {
		t.Fatalf("key Secret = %+v", stored)
	}
	again, err := loadOrCreateKey(t.Context(), cfg, "ops")
	if err != nil || api.creates != 1 {
		t.Fatalf("second start: %v after %d creates, want the stored key reused", err, api.creates)
	}
	if !sameKey(first, again) {
		t.Fatal("the second start got another key: every record would stop verifying")
	}
}

func TestAReplicaLosingTheCreateRaceUsesTheWinnersKey(t *testing.T) {
	api, cfg := newSecretsAPI(t)
	winner := bytes.Repeat([]byte{7}, 32)
	api.onCreate = func() { api.put(keySecret(winner)) }
	got, err := loadOrCreateKey(t.Context(), cfg, "ops")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mac.NewKey(winner)
	if !sameKey(got, want) {
		t.Fatal("the replica kept its own key instead of the stored one")
	}
}

func TestAnInvalidHMACKeySecretIsReported(t *testing.T) {
	api, cfg := newSecretsAPI(t)
	api.put(keySecret([]byte("short")))
	_, err := loadOrCreateKey(t.Context(), cfg, "ops")
	if err == nil || !strings.Contains(err.Error(), "the HMAC key Secret ops/vault-sync-operator-hmac-key is invalid") ||
		!strings.Contains(err.Error(), "delete it to have a new key made") {
		t.Fatalf("err = %v, want the invalid key named with the way out", err)
	}
}

func TestAnUnreachableAPIServerIsReportedWithTheNeededRights(t *testing.T) {
	_, err := loadOrCreateKey(t.Context(), &rest.Config{Host: "http://127.0.0.1:1"}, "ops")
	if err == nil || !strings.Contains(err.Error(), "cannot load or create the HMAC key Secret ops/vault-sync-operator-hmac-key") {
		t.Fatalf("err = %v", err)
	}
}

// sameKey reports whether a and b seal alike.
func sameKey(a, b mac.Key) bool {
	return b.Verify(a.Sum([]byte("probe")), []byte("probe"))
}
