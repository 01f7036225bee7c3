package kube

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func TestJitterAddsUpToTenPercent(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		if got := Jitter(d); got != 0 {
			t.Fatalf("Jitter(%s) = %s, want 0", d, got)
		}
	}
	d := 5 * time.Minute
	seen := map[time.Duration]bool{}
	for range 1000 {
		got := Jitter(d)
		if got < d || got > d+d/10 {
			t.Fatalf("Jitter(%s) = %s, outside [%s, %s]", d, got, d, d+d/10)
		}
		seen[got] = true
	}
	if len(seen) < 100 {
		t.Fatalf("1000 jitters gave only %d distinct durations", len(seen))
	}
}

func TestRateLimiterBacksOffFromOneSecondToTheCap(t *testing.T) {
	rl := RateLimiter()
	a := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "a"}}
	b := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "b"}}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := rl.When(a); got != w {
			t.Fatalf("failure %d: backoff %s, want %s", i+1, got, w)
		}
	}
	if got := rl.When(b); got != time.Second {
		t.Fatalf("another item's first backoff = %s, want 1s", got)
	}
	for range 20 {
		rl.When(a)
	}
	if got := rl.When(a); got != MaxBackoff {
		t.Fatalf("backoff after many failures = %s, want the cap %s", got, MaxBackoff)
	}
	rl.Forget(a)
	if got := rl.When(a); got != time.Second {
		t.Fatalf("backoff after success = %s, want 1s again", got)
	}
}
