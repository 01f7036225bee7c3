package lease

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func pkiIssue() *appv1alpha1.IssueSpec {
	return &appv1alpha1.IssueSpec{Path: "pki/issue/web", PKI: &appv1alpha1.PKIIssue{CommonName: "web.example.com",
		AltNames: []string{"a.example.com", "b.example.com"}, IPSANs: []string{"10.0.0.1"}, TTL: &metav1.Duration{Duration: 72 * time.Hour}}}
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
		{name: "should record a lease with its TTL", sec: &vault.SecretData{LeaseID: "db/creds/a/1", LeaseDuration: time.Hour},
			ok: true, want: Issued{LeaseID: "db/creds/a/1", TTL: 3600}},
		{name: "should record a certificate's notAfter, serial and request", issue: pkiIssue(), ok: true,
			sec:  &vault.SecretData{Data: map[string]any{"expiration": json.Number("1780272000"), "serial_number": "01:02"}},
			want: Issued{NotAfter: &notAfter, Serial: "01:02", Request: RequestHash(pkiIssue())}},
		{name: "should record an issued secret without a lease", issue: &appv1alpha1.IssueSpec{Path: "kubernetes/creds/r"}, ok: true,
			sec: &vault.SecretData{Data: map[string]any{"token": "t"}}, want: Issued{Request: RequestHash(&appv1alpha1.IssueSpec{Path: "kubernetes/creds/r"})}},
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

func TestRecord(t *testing.T) {
	if rec := ReadRecord(nil); !rec.Empty() || rec.Encode() != "" {
		t.Fatalf("record of no Secret = %+v", rec)
	}
	rec := Record{Current: map[string]Issued{
		"database/creds/a": {LeaseID: "database/creds/a/1", TTL: 60},
		"pki/issue/web":    {Serial: "01:02"},
	}, Retiring: []string{"database/creds/a/0"}}
	got := rec.IDs()
	if len(got) != 2 || got[0] != "database/creds/a/0" || got[1] != "database/creds/a/1" {
		t.Fatalf("IDs = %v, want the retiring lease and the current one (a certificate has none)", got)
	}
	back := ReadRecord(onSecret(rec.Encode()))
	if !reflect.DeepEqual(back, rec) {
		t.Fatalf("round trip = %+v, want %+v", back, rec)
	}
	if (Record{Retiring: []string{"x"}}).Empty() {
		t.Fatal("a record with a retiring lease is empty")
	}
}
