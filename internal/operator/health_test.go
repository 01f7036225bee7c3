package operator

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCachedCheckAsksAtMostOncePerTTL(t *testing.T) {
	calls := 0
	var deadline time.Duration
	failure := errors.New("vault is sealed")
	c := &cachedCheck{fn: func(ctx context.Context) error {
		calls++
		d, _ := ctx.Deadline()
		deadline = time.Until(d)
		return failure
	}}
	req := httptest.NewRequest("GET", "/readyz", nil)
	for range 3 {
		if err := c.check(req); err != failure {
			t.Fatalf("check = %v, want the check's error", err)
		}
	}
	if calls != 1 {
		t.Fatalf("%d checks within the cache TTL, want 1", calls)
	}
	if deadline <= 0 || deadline > 5*time.Second {
		t.Fatalf("check ran with %s left, want a bound of at most 5s", deadline)
	}
	c.at = c.at.Add(-probeCacheTTL) // the answer is now stale
	if err := c.check(req); err != failure || calls != 2 {
		t.Fatalf("after the TTL: %v, %d checks; want a second check", err, calls)
	}
}
