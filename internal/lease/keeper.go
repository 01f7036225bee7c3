package lease

import (
	"context"
	"hash/fnv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// Why credentials are replaced (label of lease_reissues_total, and events).
const (
	ReissueExpiring      = "expiring"       // max TTL or certificate renewal point reached, or not renewable
	ReissueLost          = "lost"           // Vault no longer knows the lease (revoked, expired, token gone)
	ReissueSpecChanged   = "spec_changed"   // the issue request in the spec changed
	ReissueMissingValues = "missing_values" // the Secret lacks values of the path (edited by hand)
)

// Why explains a reissue reason to users.
var Why = map[string]string{
	ReissueExpiring:      "the lease cannot be renewed any more (max TTL near, or not renewable) or the certificate reached its renewal point",
	ReissueLost:          "Vault no longer knows the lease (revoked, expired, or revoked with the token that issued it)",
	ReissueSpecChanged:   "the issue request in spec.vault.issue changed",
	ReissueMissingValues: "the Secret lacked its values",
}

// Client is what keeping a lease needs of Vault: the lease calls, and the
// generation of the token that holds them.
type Client interface {
	vault.LeaseClient
	vault.TokenHolder
}

// Keeper decides, for each recorded dynamic secret, whether to keep,
// renew or replace it.
type Keeper struct {
	Book *Book
	// RenewFraction is the share of a lease's duration after which it is
	// renewed (or, near its max TTL, replaced); default 2/3.
	RenewFraction float64
}

func (k Keeper) fraction() float64 {
	if k.RenewFraction <= 0 {
		return 2.0 / 3
	}
	return k.RenewFraction
}

// KeepOrReplace checks a recorded lease or certificate. It renews a lease
// that is due, and returns the reason to replace it ("" to keep it). st is
// updated with what Vault said. Errors are Vault failures: the caller keeps
// the current credentials and retries.
func (k Keeper) KeepOrReplace(ctx context.Context, c Client, is Issued, st *appv1alpha1.LeaseStatus) (string, error) {
	if is.LeaseID == "" { // a certificate: it simply expires
		return k.certificateDue(is, st), nil
	}
	if st.ExpireTime.IsZero() || !k.Book.VerifiedUnder(is.LeaseID, c.Generation()) {
		// After a restart, or when the token that issued it was replaced,
		// the lease may be gone: ask Vault.
		info, err := c.LookupLease(ctx, is.LeaseID)
		if vault.IsCategory(err, vault.CategoryNotFound) {
			return ReissueLost, nil
		}
		if err != nil {
			return "", err
		}
		k.Book.MarkVerified(is.LeaseID, c.Generation())
		if st.ExpireTime.IsZero() {
			st.Renewable = info.Renewable
		}
		st.ExpireTime = Second(info.ExpireTime)
	}
	dur := time.Duration(is.TTL) * time.Second
	st.RenewTime = Second(ActAt(st.ExpireTime.Time, dur, k.fraction(), is.LeaseID))
	if time.Now().Before(st.RenewTime.Time) {
		return "", nil
	}
	if !st.Renewable {
		return ReissueExpiring, nil
	}
	return k.renew(ctx, c, is, st)
}

// certificateDue says whether a certificate reached its renewal point.
func (k Keeper) certificateDue(is Issued, st *appv1alpha1.LeaseStatus) string {
	if is.NotAfter == nil {
		return ReissueExpiring
	}
	act := ActAt(*is.NotAfter, is.NotAfter.Sub(is.Issued), k.fraction(), is.Serial)
	st.ExpireTime, st.RenewTime = Second(*is.NotAfter), Second(act)
	if !time.Now().Before(act) {
		return ReissueExpiring
	}
	return ""
}

// renew extends a due lease by its original TTL.
func (k Keeper) renew(ctx context.Context, c Client, is Issued, st *appv1alpha1.LeaseStatus) (string, error) {
	dur := time.Duration(is.TTL) * time.Second
	info, err := c.RenewLease(ctx, is.LeaseID, dur)
	switch {
	case vault.IsCategory(err, vault.CategoryNotFound):
		metrics.LeaseRenewals.WithLabelValues("lost").Inc()
		return ReissueLost, nil
	case vault.IsCategory(err, vault.CategoryInvalidRequest):
		metrics.LeaseRenewals.WithLabelValues("not_renewable").Inc()
		return ReissueExpiring, nil
	case err != nil:
		metrics.LeaseRenewals.WithLabelValues(string(vault.CategoryOf(err))).Inc()
		return "", err
	}
	st.ExpireTime = Second(info.ExpireTime)
	if info.TTL < dur-2*time.Second {
		// Vault granted less than asked: the max TTL is near. This lease
		// cannot be extended again; it is replaced at its renewal point.
		metrics.LeaseRenewals.WithLabelValues("capped").Inc()
		st.Renewable = false
	} else {
		metrics.LeaseRenewals.WithLabelValues("success").Inc()
	}
	st.RenewTime = Second(ActAt(st.ExpireTime.Time, dur, k.fraction(), is.LeaseID))
	if !st.Renewable && !time.Now().Before(st.RenewTime.Time) {
		return ReissueExpiring, nil
	}
	return "", nil
}

// Status is the status entry of a freshly issued secret.
func (k Keeper) Status(path string, is Issued, renewable bool) appv1alpha1.LeaseStatus {
	st := appv1alpha1.LeaseStatus{Path: path, LeaseID: is.LeaseID, SerialNumber: is.Serial, IssueTime: Second(is.Issued), Renewable: renewable}
	switch {
	case is.NotAfter != nil:
		st.ExpireTime = Second(*is.NotAfter)
		st.RenewTime = Second(ActAt(*is.NotAfter, is.NotAfter.Sub(is.Issued), k.fraction(), is.Serial))
	case is.TTL > 0:
		dur := time.Duration(is.TTL) * time.Second
		st.ExpireTime = Second(is.Issued.Add(dur))
		st.RenewTime = Second(ActAt(st.ExpireTime.Time, dur, k.fraction(), is.LeaseID))
	}
	return st
}

// ActAt is when a secret valid until expire, issued for dur, is renewed or
// replaced: when (1-fraction) of dur is left, moved by up to ±5% of dur by
// a hash of its id, so that a thousand VaultApps created together do not
// renew in one burst (and the spread is the same after a restart).
func ActAt(expire time.Time, dur time.Duration, fraction float64, id string) time.Time {
	h := fnv.New32a()
	h.Write([]byte(id))
	j := float64(h.Sum32()%1000)/1000 - 0.5
	return expire.Add(-time.Duration((1 - fraction + 0.1*j) * float64(dur)))
}

// Second is t as the status stores it: whole seconds, so that a status
// rebuilt after a restart compares equal and causes no write.
func Second(t time.Time) metav1.Time { return metav1.NewTime(t.Truncate(time.Second)) }
