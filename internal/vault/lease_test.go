package vault

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// issueLease reads dbCreds once and returns its lease id.
func issueLease(t *testing.T, c *Client) string {
	t.Helper()
	sec, err := c.ReadSecret(t.Context(), dbCreds)
	if err != nil || sec.LeaseID == "" {
		t.Fatalf("read %s = %+v, %v", dbCreds, sec, err)
	}
	return sec.LeaseID
}

func TestLookupLease(t *testing.T) {
	v := newVaultServer(t)
	withDynamicEngine(v, 600)
	c, _ := newTestClient(t, v)
	id := issueLease(t, c)

	info, err := c.LookupLease(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	expire := v.leases[id].expire
	v.mu.Unlock()
	if info.ID != id || !info.Renewable || info.TTL < 598*time.Second || info.TTL > 600*time.Second || !info.ExpireTime.Equal(expire) {
		t.Fatalf("lookup = %+v, want TTL ~600s, renewable, expiring at %s", info, expire)
	}

	_, err = c.LookupLease(t.Context(), "database/creds/app/unknown")
	if !IsCategory(err, CategoryNotFound) {
		t.Fatalf("lookup of an unknown lease = %v, want not found", err)
	}
}

func TestRenewLease(t *testing.T) {
	cases := []struct {
		name      string
		maxLeft   time.Duration // until the lease's max TTL
		renewable bool
		lose      bool
		wantTTL   time.Duration
		wantErr   Category
	}{
		{name: "should grant the increment asked for", maxLeft: time.Hour, renewable: true, wantTTL: 10 * time.Minute},
		{name: "should say when Vault grants less than asked near the max TTL", maxLeft: 3 * time.Minute, renewable: true, wantTTL: 3 * time.Minute},
		{name: "should report a lease Vault no longer knows as not found", maxLeft: time.Hour, renewable: true, lose: true, wantErr: CategoryNotFound},
		{name: "should report a lease that is not renewable as an invalid request", maxLeft: time.Hour, wantErr: CategoryInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVaultServer(t)
			withDynamicEngine(v, 60)
			c, _ := newTestClient(t, v)
			id := issueLease(t, c)
			v.with(func() {
				v.leases[id].maxEnd = time.Now().Add(tc.maxLeft)
				v.leases[id].renewable = tc.renewable
				if tc.lose {
					delete(v.leases, id)
				}
			})

			info, err := c.RenewLease(t.Context(), id, 10*time.Minute)
			if CategoryOf(err) != tc.wantErr {
				t.Fatalf("err = %v, want category %q", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if d := info.TTL - tc.wantTTL; d < -2*time.Second || d > time.Second || !info.Renewable {
				t.Fatalf("renewed for %s, want %s", info.TTL, tc.wantTTL)
			}
			if v.bodies["PUT sys/leases/renew"]["increment"] != float64(600) {
				t.Fatalf("renew body = %v, want increment 600", v.bodies["PUT sys/leases/renew"])
			}
		})
	}
}

func TestRevokeLeaseUsesThePerLeasePath(t *testing.T) {
	v := newVaultServer(t)
	withDynamicEngine(v, 60)
	c, _ := newTestClient(t, v)
	id := issueLease(t, c)

	if err := c.RevokeLease(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if n := v.sent("PUT sys/leases/revoke/" + id); n != 1 {
		t.Fatalf("revoke requests = %v", v.requestsTo("sys/leases/"))
	}
	if _, err := c.LookupLease(t.Context(), id); !IsCategory(err, CategoryNotFound) {
		t.Fatalf("lookup after revoke = %v, want not found", err)
	}
	if err := c.RevokeLease(t.Context(), id); err != nil {
		t.Fatalf("revoking a revoked lease = %v, want success", err)
	}
}

func TestLeaseErrorTurnsUnknownLeasesIntoNotFound(t *testing.T) {
	invalid := func(msg string) error {
		return classify("lease renew", "sys/leases/renew", responseError(400, msg))
	}
	cases := []struct {
		name string
		err  error
		want Category
	}{
		{"should report an invalid lease as not found", invalid("invalid lease"), CategoryNotFound},
		{"should report a missing lease as not found", invalid("lease not found"), CategoryNotFound},
		{"should keep other invalid requests", invalid("lease is not renewable"), CategoryInvalidRequest},
		{"should keep other categories", classify("lease renew", "", responseError(503, "sealed")), CategoryUnavailable},
		{"should pass errors that are not Vault's", errors.New("x"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CategoryOf(leaseError(tc.err)); got != tc.want {
				t.Fatalf("category = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateLeaseID(t *testing.T) {
	for _, id := range []string{"database/creds/app/AbC123", "pki/issue/web/1a-2b"} {
		if err := ValidateLeaseID(id); err != nil {
			t.Errorf("ValidateLeaseID(%q) = %v", id, err)
		}
	}
	for id, want := range map[string]string{
		"":                                   "empty",
		"database/creds/app/../../../sys/x":  "'..'",
		"/sys/leases/revoke-prefix/database": "must not start with '/'",
		"database/creds/app/":                "must not end with '/'",
		"database//creds":                    "empty segment",
		"database/creds/app id":              "whitespace",
	} {
		err := ValidateLeaseID(id)
		if !IsCategory(err, CategoryInvalidPath) || !strings.Contains(err.Error(), "invalid lease id") || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateLeaseID(%q) = %v, want an invalid lease id: %s", id, err, want)
		}
	}
}

func TestLeaseCallsRefuseAnInvalidLeaseIDWithoutSendingIt(t *testing.T) {
	v := newVaultServer(t)
	c, _ := newTestClient(t, v)
	const id = "database/creds/app/../../../sys/seal"
	for name, call := range map[string]func() error{
		"LookupLease": func() error { _, err := c.LookupLease(t.Context(), id); return err },
		"RenewLease":  func() error { _, err := c.RenewLease(t.Context(), id, time.Minute); return err },
		"RevokeLease": func() error { return c.RevokeLease(t.Context(), id) },
	} {
		if err := call(); !IsCategory(err, CategoryInvalidPath) {
			t.Errorf("%s(%q) = %v, want an invalid path", name, id, err)
		}
	}
	if got := v.requestsTo(""); len(got) != 0 {
		t.Fatalf("sent %v", got)
	}
}
