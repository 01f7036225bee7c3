package v1alpha1

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// validApp passes ValidateSpec.
func validApp() *VaultApp {
	return &VaultApp{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "team-a"},
		Spec: VaultAppSpec{Vault: VaultSpec{Role: "web", AuthPath: "jwt/cluster-a", RefreshInterval: NewDuration(time.Minute),
			Leases: &LeaseSpec{RevokeGracePeriod: NewDuration(0)},
			Issue:  []IssueSpec{{Path: "pki/issue/web", PKI: &PKIIssue{CommonName: "web", TTL: NewDuration(720 * time.Hour)}}}},
			Monitoring: &MonitoringSpec{Enabled: true, Interval: "1m30s"}},
	}
}

// TestValidateSpecCatchesWhatAnOlderCRDAdmitted: each case is a value the
// CRD before this change admitted and the controller cannot use.
func TestValidateSpecCatchesWhatAnOlderCRDAdmitted(t *testing.T) {
	if errs := validApp().ValidateSpec(); len(errs) > 0 {
		t.Fatalf("valid app: %v", errs)
	}
	for _, tc := range []struct {
		name   string
		mutate func(a *VaultApp)
		want   string
	}{
		{"name of 64 characters", func(a *VaultApp) { a.Name = strings.Repeat("a", 64) }, "metadata.name"},
		{"name with a dot", func(a *VaultApp) { a.Name = "web.v2" }, "metadata.name"},
		{"role with a slash", func(a *VaultApp) { a.Spec.Vault.Role = "../sys" }, "spec.vault.role"},
		{"empty role", func(a *VaultApp) { a.Spec.Vault.Role = "" }, "spec.vault.role"},
		{"authPath with dotdot", func(a *VaultApp) { a.Spec.Vault.AuthPath = "jwt/../token" }, "spec.vault.authPath"},
		{"refreshInterval under 10s", func(a *VaultApp) { a.Spec.Vault.RefreshInterval = NewDuration(time.Second) }, "spec.vault.refreshInterval: Invalid value: \"1s\": must be at least 10s and at most 168h0m0s"},
		{"negative revokeGracePeriod", func(a *VaultApp) { a.Spec.Vault.Leases.RevokeGracePeriod = NewDuration(-time.Second) }, "spec.vault.leases.revokeGracePeriod"},
		{"revokeGracePeriod over 168h", func(a *VaultApp) { a.Spec.Vault.Leases.RevokeGracePeriod = NewDuration(169 * time.Hour) }, "spec.vault.leases.revokeGracePeriod"},
		{"ttl under 10s", func(a *VaultApp) { a.Spec.Vault.Issue[0].PKI.TTL = NewDuration(time.Second) }, "spec.vault.issue[0].pki.ttl"},
		{"monitoring interval out of order", func(a *VaultApp) { a.Spec.Monitoring.Interval = "30s1m" }, "spec.monitoring.interval"},
		{"monitoring interval in days", func(a *VaultApp) { a.Spec.Monitoring.Interval = "1d" }, "spec.monitoring.interval"},
		{"monitoring interval of 500ms", func(a *VaultApp) { a.Spec.Monitoring.Interval = "500ms" }, "spec.monitoring.interval: Invalid value: \"500ms\": must be at least 1s and at most 1h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := validApp()
			tc.mutate(a)
			errs := a.ValidateSpec()
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Errorf("errors = %v, want one containing %q", errs, tc.want)
			}
		})
	}
}

func TestPendingRefreshRequestRunsEachRequestOnce(t *testing.T) {
	a := validApp()
	if _, ok := a.PendingRefreshRequest(); ok {
		t.Error("refresh pending without the annotation")
	}
	a.Annotations = map[string]string{RefreshRequestedAnnotation: "1767225600"}
	if v, ok := a.PendingRefreshRequest(); !ok || v != "1767225600" {
		t.Errorf("first request: %q, %v", v, ok)
	}
	a.Status.LastHandledRefreshRequest = "1767225600"
	if _, ok := a.PendingRefreshRequest(); ok {
		t.Error("a handled request is pending again")
	}
	a.Annotations[RefreshRequestedAnnotation] = "1767225700"
	if v, ok := a.PendingRefreshRequest(); !ok || v != "1767225700" {
		t.Errorf("second request: %q, %v", v, ok)
	}
	a.Annotations[RefreshRequestedAnnotation] = strings.Repeat("9", 257)
	if _, ok := a.PendingRefreshRequest(); ok {
		t.Error("a value status.lastHandledRefreshRequest cannot hold is pending")
	}
}
