package kube

import (
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// MaxBackoff caps every retry: a failing object is retried at least this often.
const MaxBackoff = 5 * time.Minute

// RateLimiter backs failing items off from 1s to MaxBackoff
// (controller-runtime's default starts at 5ms, which turns an unreachable
// Vault into a hot loop) and bounds overall retries.
func RateLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Second, MaxBackoff),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(50), 500)},
	)
}

// Jitter spreads periodic work by up to +10% so that objects created
// together do not all hit Vault in the same second. 0 stays 0.
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration(rand.Int64N(int64(d/10)+1))
}
