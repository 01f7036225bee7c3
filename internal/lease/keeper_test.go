package lease

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault/fake"
)

const dbPath = "database/creds/app"

// cappedRenewals is a Vault near a lease's max TTL: it grants less than asked.
type cappedRenewals struct {
	*fake.Vault
	grant time.Duration
}

func (c cappedRenewals) RenewLease(ctx context.Context, id string, _ time.Duration) (*vault.LeaseInfo, error) {
	return c.Vault.RenewLease(ctx, id, c.grant)
}

// issuedLease reads a one-hour dynamic secret from a new fake Vault.
func issuedLease(t *testing.T) (*fake.Vault, Issued) {
	t.Helper()
	f := fake.New(vault.Identity{Role: "app"}).SetEngine(dbPath, map[string]any{"username": "u"}, time.Hour)
	sec, err := f.ReadSecret(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	is, ok := NewIssued(sec, nil)
	if !ok {
		t.Fatal("a dynamic secret was not recorded")
	}
	return f, is
}

func near(got, want time.Time) bool {
	d := got.Sub(want)
	return d > -2*time.Second && d < 2*time.Second
}

// leaseCase is one decision of the Keeper about a one-hour lease.
type leaseCase struct {
	name     string
	verified bool          // the book saw the lease alive under the current token
	expireIn time.Duration // status ExpireTime from now (0: unknown, after a restart)
	notRenew bool          // status says not renewable
	setup    func(f *fake.Vault, id string)
	grant    time.Duration // what a renewal grants (0: what is asked)
	want     string
	wantErr  bool
	// wantRenewal is the lease_renewals_total result counted ("": no renewal).
	wantRenewal string
	wantExpire  time.Duration // ExpireTime from now after the call (0: unchecked)
	wantRenew   *bool         // Renewable after the call (nil: unchecked)
}

func TestKeeperDecidesWhatToDoWithALease(t *testing.T) {
	connection := &vault.Error{Category: vault.CategoryConnection, Err: errors.New("refused")}
	cases := []leaseCase{
		{name: "should keep a verified lease before its renewal point without asking Vault", verified: true, expireIn: time.Hour,
			setup: func(f *fake.Vault, _ string) { f.Fail("lookup", connection) }},
		{name: "should look a lease up after a restart and keep it", expireIn: 0,
			wantExpire: time.Hour, wantRenew: ptr(true)},
		{name: "should look a lease up again after its token was replaced, and find it lost", verified: true, expireIn: time.Hour,
			setup: func(f *fake.Vault, _ string) { f.ReplaceToken() }, want: ReissueLost},
		{name: "should report a lease Vault no longer knows as lost", expireIn: time.Hour,
			setup: func(f *fake.Vault, id string) { _ = f.RevokeLease(context.Background(), id) }, want: ReissueLost},
		{name: "should keep the credentials and return the error when the look-up fails", expireIn: time.Hour,
			setup: func(f *fake.Vault, _ string) { f.Fail("lookup", connection) }, wantErr: true},
		{name: "should renew a due lease by its original TTL", verified: true, expireIn: 10 * time.Second,
			wantRenewal: "success", wantExpire: time.Hour, wantRenew: ptr(true)},
		{name: "should replace a due lease that is not renewable without renewing it", verified: true, expireIn: 10 * time.Second,
			notRenew: true, want: ReissueExpiring},
		{name: "should replace a lease whose capped renewal is past its renewal point", verified: true, expireIn: 10 * time.Second,
			grant: time.Minute, want: ReissueExpiring, wantRenewal: "capped", wantExpire: time.Minute, wantRenew: ptr(false)},
		{name: "should keep a capped lease until its renewal point, as not renewable", verified: true, expireIn: 10 * time.Second,
			grant: 50 * time.Minute, wantRenewal: "capped", wantExpire: 50 * time.Minute, wantRenew: ptr(false)},
		{name: "should replace a lease Vault lost when renewing it", verified: true, expireIn: 10 * time.Second,
			setup: func(f *fake.Vault, id string) { _ = f.RevokeLease(context.Background(), id) }, want: ReissueLost, wantRenewal: "lost"},
		{name: "should replace a lease Vault refuses to renew", verified: true, expireIn: 10 * time.Second,
			setup:       func(f *fake.Vault, _ string) { f.Fail("renew", &vault.Error{Category: vault.CategoryInvalidRequest}) },
			want:        ReissueExpiring,
			wantRenewal: "not_renewable"},
		{name: "should keep the credentials and return the error when the renewal fails", verified: true, expireIn: 10 * time.Second,
			setup: func(f *fake.Vault, _ string) { f.Fail("renew", connection) }, wantErr: true, wantRenewal: "connection"},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

func (tc leaseCase) run(t *testing.T) {
	f, is := issuedLease(t)
	k := Keeper{Book: NewBook()}
	if tc.verified {
		k.Book.MarkVerified(is.LeaseID, f.Generation())
	}
	if tc.setup != nil {
		tc.setup(f, is.LeaseID)
	}
	st := appv1alpha1.LeaseStatus{LeaseID: is.LeaseID, Renewable: !tc.notRenew}
	if tc.expireIn != 0 {
		st.ExpireTime = Second(time.Now().Add(tc.expireIn))
	}
	var c Client = f
	if tc.grant != 0 {
		c = cappedRenewals{Vault: f, grant: tc.grant}
	}
	before := renewalCount(tc.wantRenewal)

	got, err := k.KeepOrReplace(t.Context(), c, is, &st)
	if got != tc.want || (err != nil) != tc.wantErr {
		t.Fatalf("KeepOrReplace = %q, %v; want %q (error: %v)", got, err, tc.want, tc.wantErr)
	}
	// Vault extended the lease only when the renewal succeeded (capped or not).
	wantExtended := tc.wantRenewal == "success" || tc.wantRenewal == "capped"
	if extended := f.Renewals() > 0; extended != wantExtended {
		t.Fatalf("lease extended = %v, want %v", extended, wantExtended)
	}
	if tc.wantRenewal != "" && renewalCount(tc.wantRenewal)-before != 1 {
		t.Fatalf("lease_renewals_total{result=%q} did not count the renewal", tc.wantRenewal)
	}
	if tc.wantExpire != 0 && !near(st.ExpireTime.Time, time.Now().Add(tc.wantExpire)) {
		t.Fatalf("expire time = %s, want in %s", st.ExpireTime, tc.wantExpire)
	}
	if tc.wantRenew != nil && st.Renewable != *tc.wantRenew {
		t.Fatalf("renewable = %v, want %v", st.Renewable, *tc.wantRenew)
	}
	if got == "" && !tc.wantErr && !st.RenewTime.After(time.Now()) {
		t.Fatalf("kept a lease with its renewal point %s in the past", st.RenewTime)
	}
	if got == "" && !tc.wantErr && !k.Book.VerifiedUnder(is.LeaseID, f.Generation()) {
		t.Fatal("a kept lease is not marked verified under the current token")
	}
}

func renewalCount(result string) float64 {
	if result == "" {
		return 0
	}
	return testutil.ToFloat64(metrics.LeaseRenewals.WithLabelValues(result))
}

func ptr[T any](v T) *T { return &v }

func TestKeeperDecidesWhenToReplaceACertificate(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name     string
		issued   time.Time
		notAfter *time.Time
		want     string
	}{
		{"should replace a certificate whose expiry is unknown", now, nil, ReissueExpiring},
		{"should keep a certificate before its renewal point", now, ptr(now.Add(30 * 24 * time.Hour)), ""},
		{"should replace a certificate past its renewal point", now.Add(-29 * 24 * time.Hour), ptr(now.Add(24 * time.Hour)), ReissueExpiring},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fake.New(vault.Identity{Role: "app"}).Fail("lookup", errors.New("a certificate has no lease to look up"))
			is := Issued{Issued: tc.issued, NotAfter: tc.notAfter, Serial: "01:02"}
			var st appv1alpha1.LeaseStatus
			got, err := Keeper{Book: NewBook()}.KeepOrReplace(t.Context(), f, is, &st)
			if err != nil || got != tc.want {
				t.Fatalf("KeepOrReplace = %q, %v; want %q", got, err, tc.want)
			}
			if tc.notAfter != nil && (!st.ExpireTime.Equal(ptr(Second(*tc.notAfter))) ||
				!st.RenewTime.Equal(ptr(Second(ActAt(*tc.notAfter, tc.notAfter.Sub(tc.issued), 2.0/3, "01:02"))))) {
				t.Fatalf("status times = %s / %s", st.ExpireTime, st.RenewTime)
			}
		})
	}
}

func TestActAtSpreadsRenewalsWithinFivePercent(t *testing.T) {
	expire := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	const dur = 3 * time.Hour
	for _, fraction := range []float64{0.1, 2.0 / 3, 0.9} {
		earliest := expire.Add(-time.Duration((1 - fraction + 0.05) * float64(dur)))
		latest := expire.Add(-time.Duration((1 - fraction - 0.05) * float64(dur)))
		seen := map[time.Time]bool{}
		for i := range 1000 {
			id := "database/creds/app/" + string(rune('a'+i%26)) + time.Duration(i).String()
			at := ActAt(expire, dur, fraction, id)
			if at.Before(earliest) || at.After(latest) {
				t.Fatalf("fraction %.2f: ActAt(%s) = %s, outside [%s, %s]", fraction, id, at, earliest, latest)
			}
			if !ActAt(expire, dur, fraction, id).Equal(at) {
				t.Fatalf("ActAt(%s) differs between calls", id)
			}
			seen[at] = true
		}
		if len(seen) < 500 {
			t.Fatalf("fraction %.2f: 1000 leases act at only %d distinct times", fraction, len(seen))
		}
	}
}

func TestStatusOfAFreshlyIssuedSecret(t *testing.T) {
	issued := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	notAfter := issued.Add(90 * 24 * time.Hour)
	k := Keeper{Book: NewBook(), RenewFraction: 0.5}
	cases := []struct {
		name       string
		is         Issued
		wantExpire time.Time
		wantRenew  time.Time
	}{
		{"should end a lease at its issue time plus its TTL", Issued{LeaseID: "l1", TTL: 3600, Issued: issued},
			issued.Add(time.Hour), ActAt(issued.Add(time.Hour), time.Hour, 0.5, "l1")},
		{"should end a certificate at its notAfter", Issued{Serial: "s1", Issued: issued, NotAfter: &notAfter},
			notAfter, ActAt(notAfter, 90*24*time.Hour, 0.5, "s1")},
		{"should leave the times empty when the secret has no end", Issued{Issued: issued}, time.Time{}, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := k.Status(dbPath, tc.is, true)
			if st.Path != dbPath || st.LeaseID != tc.is.LeaseID || st.SerialNumber != tc.is.Serial || !st.Renewable || !st.IssueTime.Time.Equal(issued) {
				t.Fatalf("status = %+v", st)
			}
			if !st.ExpireTime.Time.Equal(Second(tc.wantExpire).Time) || !st.RenewTime.Time.Equal(Second(tc.wantRenew).Time) {
				t.Fatalf("times = %s / %s, want %s / %s", st.ExpireTime, st.RenewTime, tc.wantExpire, tc.wantRenew)
			}
		})
	}
}

func TestSecondTruncatesToWholeSeconds(t *testing.T) {
	in := time.Date(2026, 1, 1, 12, 0, 7, 999_999_999, time.UTC)
	if got := Second(in); !got.Time.Equal(time.Date(2026, 1, 1, 12, 0, 7, 0, time.UTC)) {
		t.Fatalf("Second(%s) = %s", in, got)
	}
}
