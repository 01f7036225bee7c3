package operator

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	clientfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

var storeID = vault.Identity{Method: vault.AuthKubernetes, AuthPath: "kubernetes", Role: "app"}

func newSecretTokenStore(c client.Client) secretTokenStore {
	return secretTokenStore{reader: c, writer: c, namespace: "ops"}
}

func TestSecretTokenStoreSavesAndLoadsATokenPerIdentity(t *testing.T) {
	c := clientfake.NewClientBuilder().WithScheme(Scheme()).Build()
	s := newSecretTokenStore(c)
	ctx := t.Context()

	if tok, err := s.Load(ctx, storeID); err != nil || tok != "" {
		t.Fatalf("Load of nothing = %q, %v; want empty", tok, err)
	}
	for _, tok := range []string{"hvs.first", "hvs.second"} { // the second save updates the Secret
		if err := s.Save(ctx, storeID, tok); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Load(ctx, storeID); err != nil || got != tok {
			t.Fatalf("Load = %q, %v; want %q", got, err, tok)
		}
	}

	var sec corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: "ops", Name: s.name(storeID)}, &sec); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sec.Name, "vault-sync-token-") || sec.Labels["vault-sync.io/token-store"] != "true" ||
		sec.Annotations["vault-sync.io/vault-role"] != "app" || sec.Annotations["vault-sync.io/vault-auth-path"] != "kubernetes" ||
		sec.Type != corev1.SecretTypeOpaque {
		t.Fatalf("token Secret = %+v", sec.ObjectMeta)
	}
	other := storeID
	other.ServiceAccount = "web"
	if s.name(other) == s.name(storeID) {
		t.Fatal("two identities share a token Secret")
	}
	if tok, _ := s.Load(ctx, other); tok != "" {
		t.Fatalf("another identity loaded %q", tok)
	}
}

func TestSecretTokenStoreDeletesOnlyTheIdentitysToken(t *testing.T) {
	c := clientfake.NewClientBuilder().WithScheme(Scheme()).Build()
	s := newSecretTokenStore(c)
	ctx := t.Context()
	other := storeID
	other.Role = "other"
	for _, id := range []vault.Identity{storeID, other} {
		if err := s.Save(ctx, id, "hvs."+id.Role); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, storeID); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Load(ctx, storeID); err != nil || tok != "" {
		t.Fatalf("Load after Delete = %q, %v; want nothing", tok, err)
	}
	if tok, _ := s.Load(ctx, other); tok != "hvs.other" {
		t.Fatalf("another identity's token = %q, want it kept", tok)
	}
	if err := s.Delete(ctx, storeID); err != nil {
		t.Fatalf("deleting a token already gone = %v, want nil", err)
	}
}

func TestSecretTokenStoreReportsReadFailures(t *testing.T) {
	boom := errors.New("apiserver unavailable")
	c := clientfake.NewClientBuilder().WithScheme(Scheme()).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return boom
		},
	}).Build()
	if _, err := newSecretTokenStore(c).Load(t.Context(), storeID); !errors.Is(err, boom) {
		t.Fatalf("Load = %v, want the read error", err)
	}
}

func TestTokenStoreNamespace(t *testing.T) {
	if _, err := os.Stat("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		t.Skip("running in a pod: the in-cluster namespace file decides")
	}
	cases := []struct {
		name  string
		flag  string
		opNS  string // --operator-namespace
		podNS string
		sa    string
		want  string
	}{
		{"should use the flag first", "tokens", "state", "ops", "dev/op", "tokens"},
		{"should keep the flag's opt-out", "-", "", "ops", "", "-"},
		{"should use --operator-namespace without the flag", "", "state", "ops", "dev/op", "state"},
		{"should use the pod's namespace without either flag", "", "", "ops", "dev/op", "ops"},
		{"should use the service account's namespace out of cluster", "", "", "", "dev/op", "dev"},
		{"should have no namespace when nothing says one", "", "", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tc.podNS)
			o := Options{VaultTokenStoreNamespace: tc.flag, OperatorNamespace: tc.opNS, VaultServiceAccount: tc.sa}
			if got := tokenStoreNamespace(o); got != tc.want {
				t.Fatalf("tokenStoreNamespace = %q, want %q", got, tc.want)
			}
		})
	}
}
