package main

import (
	"context"
	"sort"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// percentile of sorted-able durations, in seconds.
func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s)-1) + 0.5)
	return s[i].Seconds()
}

// poll calls ok every interval until it returns true (true) or timeout
// passes or ctx ends (false).
func poll(ctx context.Context, interval, timeout time.Duration, ok func() bool) bool {
	return e2e.WaitFor(ctx, interval, timeout, ok) == nil
}

// parallel runs fn(i) for i in [0,n) on w workers.
func parallel(n, w int, fn func(i int) error) error {
	errs := make(chan error, n)
	idx := make(chan int)
	for k := 0; k < w; k++ {
		go func() {
			for i := range idx {
				errs <- fn(i)
			}
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			idx <- i
		}
		close(idx)
	}()
	var first error
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
