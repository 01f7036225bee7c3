package controller

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// leasesAnnotation, on the VaultApp's Secret, records which dynamic secrets
// the Secret's values came from. It is written in the same request as the
// values, so the record and the credentials can never disagree, whatever
// happens to the process between two requests.
const leasesAnnotation = "vaultapp.techweaver.io/leases"

// Why credentials are replaced (label of lease_reissues_total, and events).
const (
	reissueExpiring      = "expiring"       // max TTL or certificate renewal point reached, or not renewable
	reissueLost          = "lost"           // Vault no longer knows the lease (revoked, expired, token gone)
	reissueSpecChanged   = "spec_changed"   // the issue request in the spec changed
	reissueMissingValues = "missing_values" // the Secret lacks values of the path (edited by hand)
)

// issuedSecret is one dynamic secret behind the values of a path.
type issuedSecret struct {
	// LeaseID is empty for a certificate without a lease.
	LeaseID string `json:"leaseID,omitempty"`
	// TTL is the duration Vault granted at issue, in seconds: each renewal
	// asks for it again.
	TTL    int64     `json:"ttl,omitempty"`
	Issued time.Time `json:"issued"`
	// NotAfter and Serial describe a certificate.
	NotAfter *time.Time `json:"notAfter,omitempty"`
	Serial   string     `json:"serial,omitempty"`
	// Request is a hash of the issue request, so a changed request issues anew.
	Request string `json:"request,omitempty"`
}

// leaseRecord is the content of leasesAnnotation.
type leaseRecord struct {
	Current map[string]issuedSecret `json:"current,omitempty"`
	// Retiring are replaced leases awaiting revocation.
	Retiring []string `json:"retiring,omitempty"`
}

func readLeaseRecord(s *corev1.Secret) leaseRecord {
	var rec leaseRecord
	if s != nil {
		_ = json.Unmarshal([]byte(s.Annotations[leasesAnnotation]), &rec)
	}
	return rec
}

func (rec leaseRecord) empty() bool { return len(rec.Current) == 0 && len(rec.Retiring) == 0 }

// annotation is the record as the Secret stores it ("" when empty).
func (rec leaseRecord) annotation() string {
	if rec.empty() {
		return ""
	}
	b, _ := json.Marshal(rec)
	return string(b)
}

// leaseIDs are every lease the record knows, current and retiring.
func (rec leaseRecord) leaseIDs() []string {
	ids := append([]string(nil), rec.Retiring...)
	for _, is := range rec.Current {
		if is.LeaseID != "" {
			ids = append(ids, is.LeaseID)
		}
	}
	return ids
}

// leaseBook is the operator's memory of leases between reconciles: which
// token generation each lease was last seen alive under, and which
// VaultApps hold leases of which Vault identity (so that they can be woken
// when that identity's token is replaced).
type leaseBook struct {
	mu       sync.Mutex
	verified map[string]uint64
	holders  map[vault.Identity]map[types.NamespacedName]struct{}
	// records are the lease records last written per Secret.
	records map[types.NamespacedName]string
}

func newLeaseBook() *leaseBook {
	return &leaseBook{verified: map[string]uint64{}, holders: map[vault.Identity]map[types.NamespacedName]struct{}{},
		records: map[types.NamespacedName]string{}}
}

// setWritten remembers the lease record last written to a Secret (only
// Secrets with a record are remembered).
func (b *leaseBook) setWritten(secret types.NamespacedName, record string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if record == "" {
		delete(b.records, secret)
		return
	}
	b.records[secret] = record
}

func (b *leaseBook) written(secret types.NamespacedName) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.records[secret]
	return r, ok
}

// verifiedUnder reports whether lease id was seen alive under token generation gen.
func (b *leaseBook) verifiedUnder(id string, gen uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	g, ok := b.verified[id]
	return ok && g == gen
}

func (b *leaseBook) markVerified(id string, gen uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.verified[id] = gen
}

func (b *leaseBook) forget(ids ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		delete(b.verified, id)
	}
}

// setHolder records whether app holds leases of id.
func (b *leaseBook) setHolder(id vault.Identity, app types.NamespacedName, holds bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !holds {
		for _, apps := range b.holders {
			delete(apps, app)
		}
		return
	}
	if b.holders[id] == nil {
		b.holders[id] = map[types.NamespacedName]struct{}{}
	}
	b.holders[id][app] = struct{}{}
}

// forgetApp drops what is remembered of a deleted VaultApp.
func (b *leaseBook) forgetApp(app types.NamespacedName) {
	b.setHolder(vault.Identity{}, app, false)
	b.setWritten(types.NamespacedName{Namespace: app.Namespace, Name: appv1alpha1.SecretNameFor(app.Name)}, "")
}

func (b *leaseBook) holdersOf(id vault.Identity) []types.NamespacedName {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]types.NamespacedName, 0, len(b.holders[id]))
	for k := range b.holders[id] {
		out = append(out, k)
	}
	return out
}

// actAt is when a secret valid until expire, issued for dur, is renewed or
// replaced: when (1-fraction) of dur is left, moved by up to ±5% of dur by
// a hash of its id, so that a thousand VaultApps created together do not
// renew in one burst (and the spread is the same after a restart).
func actAt(expire time.Time, dur time.Duration, fraction float64, id string) time.Time {
	h := fnv.New32a()
	h.Write([]byte(id))
	j := float64(h.Sum32()%1000)/1000 - 0.5
	return expire.Add(-time.Duration((1 - fraction + 0.1*j) * float64(dur)))
}

// keepOrReplace checks a recorded lease or certificate. It renews a lease
// that is due, and returns the reason to replace it ("" to keep it). st is
// updated with what Vault said. Errors are Vault failures: the caller keeps
// the current credentials and retries.
func (r *VaultAppReconciler) keepOrReplace(ctx context.Context, s VaultSession, is issuedSecret, st *appv1alpha1.LeaseStatus) (string, error) {
	now := time.Now()
	if is.LeaseID == "" { // a certificate: it simply expires
		if is.NotAfter == nil {
			return reissueExpiring, nil
		}
		act := actAt(*is.NotAfter, is.NotAfter.Sub(is.Issued), r.renewFraction(), is.Serial)
		st.ExpireTime, st.RenewTime = second(*is.NotAfter), second(act)
		if !now.Before(act) {
			return reissueExpiring, nil
		}
		return "", nil
	}
	dur := time.Duration(is.TTL) * time.Second
	if st.ExpireTime.IsZero() || !r.leases.verifiedUnder(is.LeaseID, s.Generation()) {
		// After a restart, or when the token that issued it was replaced,
		// the lease may be gone: ask Vault.
		info, err := s.LookupLease(ctx, is.LeaseID)
		if vault.IsCategory(err, vault.CategoryNotFound) {
			return reissueLost, nil
		}
		if err != nil {
			return "", err
		}
		r.leases.markVerified(is.LeaseID, s.Generation())
		if st.ExpireTime.IsZero() {
			st.Renewable = info.Renewable
		}
		st.ExpireTime = second(info.ExpireTime)
	}
	act := actAt(st.ExpireTime.Time, dur, r.renewFraction(), is.LeaseID)
	st.RenewTime = second(act)
	if now.Before(act) {
		return "", nil
	}
	if !st.Renewable {
		return reissueExpiring, nil
	}
	info, err := s.RenewLease(ctx, is.LeaseID, dur)
	switch {
	case vault.IsCategory(err, vault.CategoryNotFound):
		metrics.LeaseRenewals.WithLabelValues("lost").Inc()
		return reissueLost, nil
	case vault.IsCategory(err, vault.CategoryInvalidRequest):
		metrics.LeaseRenewals.WithLabelValues("not_renewable").Inc()
		return reissueExpiring, nil
	case err != nil:
		metrics.LeaseRenewals.WithLabelValues(string(vault.CategoryOf(err))).Inc()
		return "", err
	}
	st.ExpireTime = second(info.ExpireTime)
	if info.TTL < dur-2*time.Second {
		// Vault granted less than asked: the max TTL is near. This lease
		// cannot be extended again; it is replaced at its renewal point.
		metrics.LeaseRenewals.WithLabelValues("capped").Inc()
		st.Renewable = false
	} else {
		metrics.LeaseRenewals.WithLabelValues("success").Inc()
	}
	act = actAt(st.ExpireTime.Time, dur, r.renewFraction(), is.LeaseID)
	st.RenewTime = second(act)
	if !st.Renewable && !now.Before(act) {
		return reissueExpiring, nil
	}
	return "", nil
}

// newIssued records a secret just read or issued; ok is false for a
// static secret (no lease, not issued).
func newIssued(sec *vault.SecretData, issue *appv1alpha1.IssueSpec) (issuedSecret, bool) {
	if sec.LeaseID == "" && issue == nil {
		return issuedSecret{}, false
	}
	now := time.Now().Truncate(time.Second)
	is := issuedSecret{LeaseID: sec.LeaseID, TTL: int64(sec.LeaseDuration.Seconds()), Issued: now, Request: issueRequestHash(issue)}
	if issue != nil && issue.PKI != nil {
		if exp, ok := sec.Data["expiration"].(json.Number); ok {
			if secs, err := exp.Int64(); err == nil {
				t := time.Unix(secs, 0)
				is.NotAfter = &t
			}
		}
		is.Serial, _ = sec.Data["serial_number"].(string)
	}
	return is, true
}

// leaseStatus is the status entry of a freshly issued secret.
func (r *VaultAppReconciler) leaseStatus(path string, is issuedSecret, renewable bool) appv1alpha1.LeaseStatus {
	st := appv1alpha1.LeaseStatus{Path: path, LeaseID: is.LeaseID, SerialNumber: is.Serial, IssueTime: second(is.Issued), Renewable: renewable}
	switch {
	case is.NotAfter != nil:
		st.ExpireTime = second(*is.NotAfter)
		st.RenewTime = second(actAt(*is.NotAfter, is.NotAfter.Sub(is.Issued), r.renewFraction(), is.Serial))
	case is.TTL > 0:
		dur := time.Duration(is.TTL) * time.Second
		st.ExpireTime = second(is.Issued.Add(dur))
		st.RenewTime = second(actAt(st.ExpireTime.Time, dur, r.renewFraction(), is.LeaseID))
	}
	return st
}

func (r *VaultAppReconciler) renewFraction() float64 {
	if r.LeaseRenewFraction <= 0 {
		return 2.0 / 3
	}
	return r.LeaseRenewFraction
}

// second is t as the status stores it: whole seconds, so that a status
// rebuilt after a restart compares equal and causes no write.
func second(t time.Time) metav1.Time { return metav1.NewTime(t.Truncate(time.Second)) }
