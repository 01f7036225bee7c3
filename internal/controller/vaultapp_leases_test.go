package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func dynamicFake(ttl time.Duration) *fakeVault {
	return &fakeVault{data: map[string]map[string]any{"database/creds/app": {"username": "u", "password": "p"}},
		reads: map[string]int{}, leaseTTL: map[string]time.Duration{"database/creds/app": ttl}}
}

// dynamicSetup is a reconciler over a fake Vault whose database/creds/app
// issues leases of ttl, and the app reading it (without monitoring).
func dynamicSetup(ttl time.Duration, mutate ...func(*appv1alpha1.VaultApp)) (*VaultAppReconciler, client.Client, *fakeVault, *appv1alpha1.VaultApp) {
	fv := dynamicFake(ttl)
	app := sampleApp()
	app.Spec.Monitoring = nil
	for _, m := range mutate {
		m(app)
	}
	r, c := newTestReconciler(app, fv)
	return r, c, fv, app
}

func reconcileOnce(t *testing.T, r *VaultAppReconciler, app *appv1alpha1.VaultApp) (*appv1alpha1.VaultApp, *corev1.Secret) {
	t.Helper()
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(app)}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := &appv1alpha1.VaultApp{}
	_ = r.Client.Get(context.Background(), req.NamespacedName, got)
	sec := &corev1.Secret{}
	if err := r.Client.Get(context.Background(), client.ObjectKey{Namespace: app.Namespace, Name: appv1alpha1.SecretNameFor(app.Name)}, sec); err != nil {
		sec = nil
	}
	return got, sec
}

// A dynamic read is recorded (Secret annotation, status, finalizer) and,
// after a restart, looked up instead of read again: no new credentials.
func TestDynamicSecretIsKeptAcrossRestart(t *testing.T) {
	r, c, fv, app := dynamicSetup(time.Hour)
	got, sec := reconcileOnce(t, r, app)
	if fv.reads["database/creds/app"] != 1 || len(got.Status.Leases) != 1 || got.Status.Leases[0].LeaseID != "database/creds/app/1" {
		t.Fatalf("reads=%v leases=%+v", fv.reads, got.Status.Leases)
	}
	if readLeaseRecord(sec).Current["database/creds/app"].LeaseID != "database/creds/app/1" {
		t.Fatalf("secret record = %q", sec.Annotations[leasesAnnotation])
	}
	if len(got.Finalizers) != 1 || got.Finalizers[0] != appv1alpha1.RevokeLeasesFinalizer {
		t.Fatalf("finalizers = %v", got.Finalizers)
	}
	restarted := &VaultAppReconciler{Client: c, Vault: r.Vault, Recorder: record.NewFakeRecorder(10), DefaultRefresh: time.Minute, leases: newLeaseBook()}
	got2, sec2 := reconcileOnce(t, restarted, got)
	if fv.reads["database/creds/app"] != 1 {
		t.Fatalf("restart issued new credentials: reads=%v", fv.reads)
	}
	if sec2.ResourceVersion != sec.ResourceVersion || got2.Status.Leases[0].LeaseID != "database/creds/app/1" {
		t.Fatalf("restart rewrote the secret or lost the lease: %+v", got2.Status.Leases)
	}
}

// A lease Vault no longer knows is replaced at once (not retired: it is
// gone), and the event says why.
func TestLostLeaseIsReissued(t *testing.T) {
	r, _, fv, app := dynamicSetup(time.Hour)
	got, _ := reconcileOnce(t, r, app)
	delete(fv.leases, "database/creds/app/1")
	fv.gen++ // the token was replaced: the lease must be looked up
	got, sec := reconcileOnce(t, r, got)
	if fv.reads["database/creds/app"] != 2 || got.Status.Leases[0].LeaseID != "database/creds/app/2" || len(got.Status.RetiringLeases) != 0 {
		t.Fatalf("reads=%v status=%+v retiring=%+v", fv.reads, got.Status.Leases, got.Status.RetiringLeases)
	}
	if readLeaseRecord(sec).Current["database/creds/app"].LeaseID != "database/creds/app/2" {
		t.Fatalf("record = %s", sec.Annotations[leasesAnnotation])
	}
	if !hasEvent(r.Recorder.(*record.FakeRecorder), appv1alpha1.ReasonCredentialsRotated) {
		t.Fatal("no CredentialsRotated event")
	}
}

// A lease at its renewal point is renewed, not replaced.
func TestLeaseIsRenewedWhenDue(t *testing.T) {
	r, _, fv, app := dynamicSetup(3 * time.Second)
	got, _ := reconcileOnce(t, r, app)
	time.Sleep(time.Until(got.Status.Leases[0].RenewTime.Time) + 100*time.Millisecond)
	got, _ = reconcileOnce(t, r, got)
	if fv.renewed != 1 || fv.reads["database/creds/app"] != 1 {
		t.Fatalf("renewed=%d reads=%v", fv.renewed, fv.reads)
	}
	if !got.Status.Leases[0].ExpireTime.After(time.Now().Add(2 * time.Second)) {
		t.Fatalf("expiry not moved: %v", got.Status.Leases[0].ExpireTime)
	}
}

// Deleting the VaultApp revokes its lease before the finalizer goes.
func TestDeleteRevokesLeases(t *testing.T) {
	r, c, fv, app := dynamicSetup(time.Hour)
	got, _ := reconcileOnce(t, r, app)
	if err := c.Delete(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(app)}); err != nil {
		t.Fatal(err)
	}
	if len(fv.revoked) != 1 || fv.revoked[0] != "database/creds/app/1" {
		t.Fatalf("revoked = %v", fv.revoked)
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(app), &appv1alpha1.VaultApp{}); err == nil {
		t.Fatal("the VaultApp is still there: finalizer not removed")
	}
}

func hasEvent(rec *record.FakeRecorder, reason string) bool {
	for {
		select {
		case e := <-rec.Events:
			if strings.Contains(e, reason) {
				return true
			}
		default:
			return false
		}
	}
}

// A certificate is re-issued at its renewal point, not before.
func TestCertificateIsReissuedAtItsRenewalPoint(t *testing.T) {
	fv := &fakeVault{data: map[string]map[string]any{}, reads: map[string]int{}}
	app := sampleApp()
	app.Spec.Monitoring = nil
	app.Spec.Vault.Secrets = []appv1alpha1.SecretRef{{Path: "pki/issue/web", Key: "certificate", TargetKey: "tls.crt"}}
	app.Spec.Vault.Issue = []appv1alpha1.IssueSpec{{Path: "pki/issue/web", PKI: &appv1alpha1.PKIIssue{CommonName: "web.example.com"}}}
	fv.issue = func() map[string]any {
		n := fv.reads["pki/issue/web"]
		return map[string]any{"certificate": fmt.Sprintf("cert-%d", n), "serial_number": fmt.Sprintf("s%d", n),
			"expiration": json.Number(fmt.Sprint(time.Now().Add(4 * time.Second).Unix()))}
	}
	r, _ := newTestReconciler(app, fv)
	got, _ := reconcileOnce(t, r, app)
	got, _ = reconcileOnce(t, r, got)
	if fv.reads["pki/issue/web"] != 1 {
		t.Fatalf("re-issued before its renewal point: %v", fv.reads)
	}
	time.Sleep(time.Until(got.Status.Leases[0].RenewTime.Time) + time.Second) // the status keeps whole seconds
	got, sec := reconcileOnce(t, r, got)
	if fv.reads["pki/issue/web"] != 2 || string(sec.Data["tls.crt"]) != "cert-2" || got.Status.Leases[0].SerialNumber != "s2" {
		t.Fatalf("reads=%v data=%s status=%+v", fv.reads, sec.Data["tls.crt"], got.Status.Leases)
	}
}

// A Secret whose lease record was removed by hand: the credentials are
// issued anew and the lease the status still names is retired (revoked
// after the rollout), never orphaned.
func TestWipedRecordRetiresTheOldLease(t *testing.T) {
	r, c, fv, app := dynamicSetup(time.Hour)
	got, sec := reconcileOnce(t, r, app)
	delete(sec.Annotations, leasesAnnotation)
	if err := c.Update(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	r.leases.setWritten(client.ObjectKeyFromObject(sec), "") // a hand edit, not ours
	got, sec = reconcileOnce(t, r, got)
	if fv.reads["database/creds/app"] != 2 {
		t.Fatalf("reads = %v", fv.reads)
	}
	if rec := readLeaseRecord(sec); len(rec.Retiring) != 1 || rec.Retiring[0] != "database/creds/app/1" {
		t.Fatalf("record = %+v", rec)
	}
	if len(got.Status.RetiringLeases) != 1 || got.Status.RetiringLeases[0].LeaseID != "database/creds/app/1" {
		t.Fatalf("retiring = %+v", got.Status.RetiringLeases)
	}
}

// FuzzReadLeaseRecord: whatever the annotation holds, reading it never
// panics, and what it yields survives a round trip.
func FuzzReadLeaseRecord(f *testing.F) {
	f.Add(`{"current":{"database/creds/a":{"leaseID":"database/creds/a/x","ttl":60,"issued":"2026-01-01T00:00:00Z"}},"retiring":["r"]}`)
	f.Add(`{"current":{"pki/issue/web":{"notAfter":"2026-01-01T00:00:00Z","serial":"01:02"}}}`)
	f.Add(`not json`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, ann string) {
		rec := readLeaseRecord(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{leasesAnnotation: ann}}})
		again := readLeaseRecord(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{leasesAnnotation: rec.annotation()}}})
		if again.annotation() != rec.annotation() {
			t.Fatalf("round trip: %q -> %q", rec.annotation(), again.annotation())
		}
		_ = rec.leaseIDs()
	})
}

// With revokeOnDelete false no finalizer is added and nothing is revoked:
// the lease is left to expire.
func TestRevokeOnDeleteOptOut(t *testing.T) {
	no := false
	r, c, fv, app := dynamicSetup(time.Hour, func(a *appv1alpha1.VaultApp) { a.Spec.Vault.Leases = &appv1alpha1.LeaseSpec{RevokeOnDelete: &no} })
	got, _ := reconcileOnce(t, r, app)
	if len(got.Finalizers) != 0 {
		t.Fatalf("finalizers = %v", got.Finalizers)
	}
	if err := c.Delete(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(app)}); err != nil {
		t.Fatal(err)
	}
	if len(fv.revoked) != 0 || len(fv.leases) != 1 {
		t.Fatalf("revoked %v, live %v", fv.revoked, fv.leases)
	}
}

// A renewal that fails because Vault is unreachable keeps the current
// credentials (no new ones, Secret untouched), says so on LeasesHealthy,
// and retries with the Vault backoff, not at once.
func TestFailedRenewalKeepsCredentials(t *testing.T) {
	r, _, fv, app := dynamicSetup(3 * time.Second)
	got, sec := reconcileOnce(t, r, app)
	fv.renewErr = &vault.Error{Category: vault.CategoryConnection, Op: "lease renew", Err: fmt.Errorf("connection refused")}
	time.Sleep(time.Until(got.Status.Leases[0].RenewTime.Time) + time.Second)
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(app)})
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter < 10*time.Second {
		t.Fatalf("retry after %s: a hot loop", res.RequeueAfter)
	}
	got2, sec2 := reconcileOnce(t, r, got)
	if fv.reads["database/creds/app"] != 1 || sec2.ResourceVersion != sec.ResourceVersion {
		t.Fatalf("credentials replaced while Vault was unreachable: reads=%v", fv.reads)
	}
	c := meta.FindStatusCondition(got2.Status.Conditions, appv1alpha1.ConditionLeasesHealthy)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != appv1alpha1.ReasonLeaseRenewalFailed || !strings.Contains(c.Message, "current credentials are kept") {
		t.Fatalf("LeasesHealthy = %+v", c)
	}
}
