package lease

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func pkiIssue() *appv1alpha1.IssueSpec {
	return &appv1alpha1.IssueSpec{Path: "pki/issue/web", PKI: &appv1alpha1.PKIIssue{CommonName: "web.example.com",
		AltNames: []string{"a.example.com", "b.example.com"}, IPSANs: []string{"10.0.0.1"}, TTL: appv1alpha1.NewDuration(72 * time.Hour)}}
}

func TestIssueParams(t *testing.T) {
	cases := []struct {
		name  string
		issue *appv1alpha1.IssueSpec
		want  map[string]any
	}{
		{"should send a certificate request as PKI's parameters", pkiIssue(), map[string]any{"common_name": "web.example.com",
			"alt_names": "a.example.com,b.example.com", "ip_sans": "10.0.0.1", "ttl": "72h0m0s"}},
		{"should leave out empty PKI parameters", &appv1alpha1.IssueSpec{Path: "pki/issue/web", PKI: &appv1alpha1.PKIIssue{CommonName: "web"}},
			map[string]any{"common_name": "web"}},
		{"should send other engines' parameters as they are", &appv1alpha1.IssueSpec{Path: "kubernetes/creds/r",
			Params: map[string]string{"kubernetes_namespace": "team"}}, map[string]any{"kubernetes_namespace": "team"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IssueParams(tc.issue); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("IssueParams = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRequestHashChangesWithTheRequest(t *testing.T) {
	base := RequestHash(pkiIssue())
	if len(base) != 16 || base != RequestHash(pkiIssue()) {
		t.Fatalf("hash %q is not a stable 16-digit hex", base)
	}
	if RequestHash(nil) != "" {
		t.Fatal("a read has a request hash")
	}
	otherPath := pkiIssue()
	otherPath.Path = "pki/issue/api"
	otherName := pkiIssue()
	otherName.PKI.AltNames = []string{"a.example.com"}
	for name, is := range map[string]*appv1alpha1.IssueSpec{"path": otherPath, "alt names": otherName} {
		if RequestHash(is) == base {
			t.Errorf("a changed %s keeps the hash", name)
		}
	}
}

func TestNewIssued(t *testing.T) {
	notAfter := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		sec   *vault.SecretData
		issue *appv1alpha1.IssueSpec
		ok    bool
		want  Issued // Issued time is checked separately
	}{
		{name: "should not record a static secret", sec: &vault.SecretData{Data: map[string]any{"k": "v"}}},
		{name: "should record a lease with its TTL and the names of its keys, never their values",
			sec: &vault.SecretData{LeaseID: "db/creds/a/1", LeaseDuration: time.Hour, Data: map[string]any{"username": "u", "password": "p"}},
			ok:  true, want: Issued{LeaseID: "db/creds/a/1", TTL: 3600, Keys: []string{"password", "username"}}},
		{name: "should record a certificate's notAfter, serial and request", issue: pkiIssue(), ok: true,
			sec:  &vault.SecretData{Data: map[string]any{"expiration": json.Number("1780272000"), "serial_number": "01:02"}},
			want: Issued{NotAfter: &notAfter, Serial: "01:02", Request: RequestHash(pkiIssue()), Keys: []string{"expiration", "serial_number"}}},
		{name: "should record an issued secret without a lease", issue: &appv1alpha1.IssueSpec{Path: "kubernetes/creds/r"}, ok: true,
			sec:  &vault.SecretData{Data: map[string]any{"token": "t", "ca": "c"}},
			want: Issued{Request: RequestHash(&appv1alpha1.IssueSpec{Path: "kubernetes/creds/r"}), Keys: []string{"ca", "token"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := NewIssued(tc.sec, tc.issue)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if d := time.Since(got.Issued); d < 0 || d > 2*time.Second || got.Issued.Nanosecond() != 0 {
				t.Fatalf("issued at %s, want now in whole seconds", got.Issued)
			}
			got.Issued = time.Time{}
			if got.NotAfter != nil && tc.want.NotAfter != nil && got.NotAfter.Equal(*tc.want.NotAfter) {
				got.NotAfter = tc.want.NotAfter
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("NewIssued = %+v, want %+v", got, tc.want)
			}
		})
	}
}
