package vault

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestFileJWTReadsTheTokenAtEveryLogin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	src := FileJWT(path)
	for _, tok := range []string{"first", "rotated"} {
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := src.JWT(t.Context()); err != nil || got != tok {
			t.Fatalf("JWT() = %q, %v; want %q", got, err, tok)
		}
	}
}

func TestTokenRequestJWTAsksForAShortLivedToken(t *testing.T) {
	cs := k8sfake.NewClientset()
	var got *authv1.TokenRequest
	var who string
	cs.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca := a.(k8stesting.CreateAction)
		if ca.GetSubresource() != "token" {
			return false, nil, nil
		}
		got = ca.GetObject().(*authv1.TokenRequest)
		who = ca.GetNamespace() + "/" + ca.(k8stesting.CreateActionImpl).Name
		return true, &authv1.TokenRequest{Status: authv1.TokenRequestStatus{Token: "issued"}}, nil
	})
	cases := []struct {
		name    string
		ttl     time.Duration
		wantTTL int64
	}{
		{"should ask for the API's minimum of 10 minutes when no TTL is set", 0, 600},
		{"should ask for the configured TTL above the minimum", time.Hour, 3600},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := TokenRequestJWT{Client: cs, Namespace: "team", Name: "web", Audiences: []string{"vault"}, TTL: tc.ttl}
			tok, err := src.JWT(t.Context())
			if err != nil || tok != "issued" {
				t.Fatalf("JWT() = %q, %v", tok, err)
			}
			if who != "team/web" || *got.Spec.ExpirationSeconds != tc.wantTTL || !slices.Equal(got.Spec.Audiences, []string{"vault"}) {
				t.Fatalf("requested %s: %+v", who, got.Spec)
			}
		})
	}
}
