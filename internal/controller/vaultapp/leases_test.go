package vaultapp

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
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/lease"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault/fake"
)

// dynamicSetup is a reconciler over a fake Vault whose database/creds/app
// issues leases of ttl, and the app reading it (without monitoring).
func dynamicSetup(ttl time.Duration, mutate ...func(*appv1alpha1.VaultApp)) (*Reconciler, client.Client, *fake.Vault, *appv1alpha1.VaultApp) {
	fv := fake.New(vault.Identity{Role: "r"}).SetEngine(dbPath, map[string]any{"username": "u", "password": "p"}, ttl)
	app := sampleApp()
	app.Spec.Monitoring = nil
	for _, m := range mutate {
		m(app)
	}
	r, c := newTestReconciler(app, fv)
	return r, c, fv, app
}

// A dynamic read is recorded (Secret annotation, status, finalizer) and,
// after a restart, looked up instead of read again: no new credentials.
func TestDynamicSecretIsKeptAcrossRestart(t *testing.T) {
	r, c, fv, app := dynamicSetup(time.Hour)
	got, sec := reconcileOnce(t, r, app)
	if fv.Reads(dbPath) != 1 || len(got.Status.Leases) != 1 || got.Status.Leases[0].LeaseID != dbPath+"/1" {
		t.Fatalf("reads=%d leases=%+v", fv.Reads(dbPath), got.Status.Leases)
	}
	if leaseRecord(sec).Current[dbPath].LeaseID != dbPath+"/1" {
		t.Fatalf("secret record = %q", sec.Annotations[lease.Annotation])
	}
	if len(got.Finalizers) != 1 || got.Finalizers[0] != appv1alpha1.RevokeLeasesFinalizer {
		t.Fatalf("finalizers = %v", got.Finalizers)
	}
	got2, sec2 := reconcileOnce(t, restarted(c, fv), got)
	if fv.Reads(dbPath) != 1 {
		t.Fatalf("restart issued new credentials: reads=%d", fv.Reads(dbPath))
	}
	if sec2.ResourceVersion != sec.ResourceVersion || got2.Status.Leases[0].LeaseID != dbPath+"/1" {
		t.Fatalf("restart rewrote the secret or lost the lease: %+v", got2.Status.Leases)
	}
}

// A lease Vault no longer knows is replaced at once (not retired: it is
// gone), and the event says why.
func TestLostLeaseIsReissued(t *testing.T) {
	r, _, fv, app := dynamicSetup(time.Hour)
	got, _ := reconcileOnce(t, r, app)
	fv.ReplaceToken() // the token was replaced: its leases died with it
	got, sec := reconcileOnce(t, r, got)
	if fv.Reads(dbPath) != 2 || got.Status.Leases[0].LeaseID != dbPath+"/2" || len(got.Status.RetiringLeases) != 0 {
		t.Fatalf("reads=%d status=%+v retiring=%+v", fv.Reads(dbPath), got.Status.Leases, got.Status.RetiringLeases)
	}
	if leaseRecord(sec).Current[dbPath].LeaseID != dbPath+"/2" {
		t.Fatalf("record = %s", sec.Annotations[lease.Annotation])
	}
	if !hasEvent(r, appv1alpha1.ReasonCredentialsRotated) {
		t.Fatal("no CredentialsRotated event")
	}
}

// A lease at its renewal point is renewed, not replaced.
func TestLeaseIsRenewedWhenDue(t *testing.T) {
	r, _, fv, app := dynamicSetup(3 * time.Second)
	got, _ := reconcileOnce(t, r, app)
	time.Sleep(time.Until(got.Status.Leases[0].RenewTime.Time) + 100*time.Millisecond)
	got, _ = reconcileOnce(t, r, got)
	if fv.Renewals() != 1 || fv.Reads(dbPath) != 1 {
		t.Fatalf("renewed=%d reads=%d", fv.Renewals(), fv.Reads(dbPath))
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
	if _, err := r.Reconcile(context.Background(), request(app)); err != nil {
		t.Fatal(err)
	}
	if rv := fv.Revoked(); len(rv) != 1 || rv[0] != dbPath+"/1" {
		t.Fatalf("revoked = %v", rv)
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(app), &appv1alpha1.VaultApp{}); err == nil {
		t.Fatal("the VaultApp is still there: finalizer not removed")
	}
	if fv.Released() != 1 {
		t.Fatalf("the identity's last lease holder went, but its session was told %d times to release its leases (token check, stored token)", fv.Released())
	}
}

// A failed revocation keeps the finalizer, says so in an event and is retried.
func TestFailedRevocationKeepsTheFinalizer(t *testing.T) {
	r, c, fv, app := dynamicSetup(time.Hour)
	got, _ := reconcileOnce(t, r, app)
	if err := c.Delete(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	fv.Fail("revoke", &vault.Error{Category: vault.CategoryUnavailable, Op: "lease revoke"})
	if _, err := r.Reconcile(context.Background(), request(app)); err == nil {
		t.Fatal("a failed revocation must be retried")
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(app), &appv1alpha1.VaultApp{}); err != nil {
		t.Fatalf("the VaultApp went with its lease unrevoked: %v", err)
	}
	if !hasEvent(r, appv1alpha1.ReasonLeaseRevokeFailed) {
		t.Fatal("no LeaseRevokeFailed event")
	}
}

// A certificate is re-issued at its renewal point, not before.
func TestCertificateIsReissuedAtItsRenewalPoint(t *testing.T) {
	fv := fake.New(vault.Identity{Role: "r"})
	fv.SetIssuer(func(path string, _ map[string]any) (map[string]any, error) {
		n := fv.Reads(path) + 1
		return map[string]any{"certificate": fmt.Sprintf("cert-%d", n), "serial_number": fmt.Sprintf("s%d", n),
			"expiration": json.Number(fmt.Sprint(time.Now().Add(4 * time.Second).Unix()))}, nil
	})
	app := sampleApp()
	app.Spec.Monitoring = nil
	app.Spec.Vault.Secrets = []appv1alpha1.SecretRef{{Path: "pki/issue/web", Key: "certificate", TargetKey: "tls.crt"}}
	app.Spec.Vault.Issue = []appv1alpha1.IssueSpec{{Path: "pki/issue/web", PKI: &appv1alpha1.PKIIssue{CommonName: "web.example.com"}}}
	r, _ := newTestReconciler(app, fv)
	got, _ := reconcileOnce(t, r, app)
	got, _ = reconcileOnce(t, r, got)
	if fv.Reads("pki/issue/web") != 1 {
		t.Fatalf("re-issued before its renewal point: %d", fv.Reads("pki/issue/web"))
	}
	time.Sleep(time.Until(got.Status.Leases[0].RenewTime.Time) + time.Second) // the status keeps whole seconds
	got, sec := reconcileOnce(t, r, got)
	if fv.Reads("pki/issue/web") != 2 || string(sec.Data["tls.crt"]) != "cert-2" || got.Status.Leases[0].SerialNumber != "s2" {
		t.Fatalf("reads=%d data=%s status=%+v", fv.Reads("pki/issue/web"), sec.Data["tls.crt"], got.Status.Leases)
	}
}

// A Secret whose lease record was removed by hand: the credentials are
// issued anew and the lease the status still names is retired (revoked
// after the rollout), never orphaned.
func TestWipedRecordRetiresTheOldLease(t *testing.T) {
	r, c, fv, app := dynamicSetup(time.Hour)
	got, sec := reconcileOnce(t, r, app)
	delete(sec.Annotations, lease.Annotation)
	if err := c.Update(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	r.leases.SetWritten(client.ObjectKeyFromObject(sec), "") // a hand edit, not ours
	got, sec = reconcileOnce(t, r, got)
	if fv.Reads(dbPath) != 2 {
		t.Fatalf("reads = %d", fv.Reads(dbPath))
	}
	if rec := leaseRecord(sec); len(rec.Retiring) != 1 || rec.Retiring[0] != dbPath+"/1" {
		t.Fatalf("record = %+v", rec)
	}
	if len(got.Status.RetiringLeases) != 1 || got.Status.RetiringLeases[0].LeaseID != dbPath+"/1" {
		t.Fatalf("retiring = %+v", got.Status.RetiringLeases)
	}
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
	if _, err := r.Reconcile(context.Background(), request(app)); err != nil {
		t.Fatal(err)
	}
	if len(fv.Revoked()) != 0 || !fv.LeaseAlive(dbPath+"/1") {
		t.Fatalf("revoked %v", fv.Revoked())
	}
}

// A renewal that fails because Vault is unreachable keeps the current
// credentials (no new ones, Secret untouched), says so on LeasesHealthy,
// and retries with the Vault backoff, not at once.
func TestFailedRenewalKeepsCredentials(t *testing.T) {
	r, _, fv, app := dynamicSetup(3 * time.Second)
	got, sec := reconcileOnce(t, r, app)
	fv.Fail("renew", &vault.Error{Category: vault.CategoryConnection, Op: "lease renew", Err: fmt.Errorf("connection refused")})
	time.Sleep(time.Until(got.Status.Leases[0].RenewTime.Time) + time.Second)
	res, err := r.Reconcile(context.Background(), request(app))
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter < 10*time.Second {
		t.Fatalf("retry after %s: a hot loop", res.RequeueAfter)
	}
	got2, sec2 := reconcileOnce(t, r, got)
	if fv.Reads(dbPath) != 1 || sec2.ResourceVersion != sec.ResourceVersion {
		t.Fatalf("credentials replaced while Vault was unreachable: reads=%d", fv.Reads(dbPath))
	}
	c := meta.FindStatusCondition(got2.Status.Conditions, appv1alpha1.ConditionLeasesHealthy)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != appv1alpha1.ReasonLeaseRenewalFailed || !strings.Contains(c.Message, "current credentials are kept") {
		t.Fatalf("LeasesHealthy = %+v", c)
	}
}

func leaseRecord(sec *corev1.Secret) lease.Record {
	rec, _ := lease.ReadRecord(sec, testKey, "uid-1")
	return rec
}

// A tenant who edits the Secret's lease record cannot make the operator
// revoke anything it names (a crafted id reaching another endpoint, or
// another app's lease): the record is ignored and the credentials issued
// anew.
func TestAForgedLeaseRecordIsNotActedOn(t *testing.T) {
	for _, id := range []string{"../../../auth/token/revoke-self", dbPath + "/../../../auth/token/revoke-self", "database/creds/other-app/1"} {
		t.Run(id, func(t *testing.T) {
			r, c, fv, app := dynamicSetup(time.Hour)
			got, sec := reconcileOnce(t, r, app)
			forged, _ := json.Marshal(lease.Record{Current: map[string]lease.Issued{dbPath: {LeaseID: id, TTL: 3600, Issued: time.Now()}},
				Retiring: []string{id}, MAC: "forged"})
			sec.Annotations[lease.Annotation] = string(forged)
			if err := c.Update(context.Background(), sec); err != nil {
				t.Fatal(err)
			}
			r.leases.SetWritten(client.ObjectKeyFromObject(sec), "") // a hand edit, not ours
			got, _ = reconcileOnce(t, r, got)
			_ = c.Delete(context.Background(), got)
			if _, err := r.Reconcile(context.Background(), request(app)); err != nil {
				t.Fatal(err)
			}
			for _, rv := range fv.Revoked() {
				if !strings.HasPrefix(rv, dbPath+"/") || strings.Contains(rv, "..") {
					t.Fatalf("revoked %q, named by a forged record", rv)
				}
			}
			if !hasEvent(r, appv1alpha1.ReasonRecordNotTrusted) {
				t.Fatal("no RecordNotTrusted event")
			}
		})
	}
}

// A record sealed for another VaultApp does not verify for this one.
func TestALeaseRecordIsBoundToItsVaultApp(t *testing.T) {
	rec := lease.Record{Current: map[string]lease.Issued{dbPath: {LeaseID: dbPath + "/1", TTL: 60}}}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{lease.Annotation: rec.Seal(testKey, "uid-other")}}}
	if _, trusted := lease.ReadRecord(sec, testKey, "uid-1"); trusted {
		t.Fatal("a record sealed for another VaultApp is trusted")
	}
	sec.Annotations[lease.Annotation] = rec.Seal(testKey, "uid-1")
	if got, trusted := lease.ReadRecord(sec, testKey, "uid-1"); !trusted || got.Current[dbPath].LeaseID != dbPath+"/1" {
		t.Fatal("its own record is refused")
	}
	wrongPath := lease.Record{Current: map[string]lease.Issued{dbPath: {LeaseID: "database/creds/other/1", TTL: 60}}}
	sec.Annotations[lease.Annotation] = wrongPath.Seal(testKey, "uid-1")
	if _, trusted := lease.ReadRecord(sec, testKey, "uid-1"); trusted {
		t.Fatal("a lease id of another path is accepted")
	}
}
