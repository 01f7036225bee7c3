package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// firstSeen notes, through one list and watch of a kind in every
// namespace, when each object first satisfied a condition. A watch costs
// the apiserver far less than polling thousands of objects, and the times
// are when the change happened, not when a poll came round.
type firstSeen struct {
	mu   sync.Mutex
	at   map[client.ObjectKey]time.Time
	err  error
	stop context.CancelFunc
}

// watchFirst starts following objects of list's kind (T is its item type,
// a pointer) and notes each the first time ok holds. Call stop when done.
func watchFirst[T client.Object](ctx context.Context, c client.WithWatch, list client.ObjectList, ok func(T) bool) *firstSeen {
	ctx, cancel := context.WithCancel(ctx)
	f := &firstSeen{at: map[client.ObjectKey]time.Time{}, stop: cancel}
	note := func(obj any) {
		if o, isT := obj.(T); isT && ok(o) {
			f.mu.Lock()
			if _, seen := f.at[client.ObjectKeyFromObject(o)]; !seen {
				f.at[client.ObjectKeyFromObject(o)] = time.Now()
			}
			f.mu.Unlock()
		}
	}
	go func() {
		for ctx.Err() == nil {
			if err := listAndWatch(ctx, c, list, note); err != nil && ctx.Err() == nil {
				f.mu.Lock()
				f.err = err
				f.mu.Unlock()
				time.Sleep(time.Second) // then list again
			}
		}
	}()
	return f
}

// listAndWatch lists, notes every item, then notes every watch event
// until the watch ends (the server closes watches after a while).
func listAndWatch(ctx context.Context, c client.WithWatch, list client.ObjectList, note func(any)) error {
	l := list.DeepCopyObject().(client.ObjectList)
	if err := c.List(ctx, l); err != nil {
		return err
	}
	items, err := meta.ExtractList(l)
	if err != nil {
		return err
	}
	for _, it := range items {
		note(it)
	}
	w, err := c.Watch(ctx, list.DeepCopyObject().(client.ObjectList), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: l.GetResourceVersion()}})
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Added, watch.Modified:
			note(ev.Object)
		case watch.Error:
			return fmt.Errorf("watch: %v", ev.Object)
		}
	}
	return nil
}

// count is how many objects satisfied the condition so far.
func (f *firstSeen) count(keep func(client.ObjectKey) bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k := range f.at {
		if keep(k) {
			n++
		}
	}
	return n
}

// stallAfter ends a wait in which no further object satisfied the
// condition for this long: something is stuck, the rest of the timeout
// would be wasted.
const stallAfter = 2 * time.Minute

// waitFor waits until want objects kept by keep satisfied the condition
// and returns when the last of them did. It gives up after timeout, or
// when none more did for stallAfter.
func (f *firstSeen) waitFor(ctx context.Context, want int, keep func(client.ObjectKey) bool, timeout time.Duration) (time.Time, error) {
	progress, progressAt := -1, time.Now()
	stalled := false
	ok := poll(ctx, 20*time.Millisecond, timeout, func() bool {
		n := f.count(keep)
		if n > progress {
			progress, progressAt = n, time.Now()
		}
		stalled = time.Since(progressAt) > stallAfter
		return n >= want || stalled
	})
	if !ok || stalled {
		f.mu.Lock()
		defer f.mu.Unlock()
		return time.Time{}, fmt.Errorf("%d of %d, none more for %s (last watch error: %v)", progress, want, time.Since(progressAt).Round(time.Second), f.err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var last time.Time
	for k, t := range f.at {
		if keep(k) && t.After(last) {
			last = t
		}
	}
	return last, nil
}
