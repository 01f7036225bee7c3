package secretwatch

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func secretMeta(ns, name string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func drain(q workqueue.TypedRateLimitingInterface[reconcile.Request]) []string {
	var out []string
	for q.Len() > 0 {
		r, _ := q.Get()
		out = append(out, r.String())
		q.Done(r)
	}
	return out
}

func TestTrackerEnqueuesOnlyTheUsersOfASecret(t *testing.T) {
	tr := New(nil, "")
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	tr.queue = q
	st := newStore(tr)
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}
	tr.Track(a, []string{"shared", "only-a"})
	tr.Track(b, []string{"shared"})

	_ = st.Update(secretMeta("ns", "only-a"))
	if got := drain(q); len(got) != 1 || got[0] != "ns/a" {
		t.Fatalf("only-a changed: enqueued %v", got)
	}
	_ = st.Update(secretMeta("ns", "shared"))
	if got := drain(q); len(got) != 2 {
		t.Fatalf("shared changed: enqueued %v, want a and b", got)
	}
	_ = st.Update(secretMeta("other-ns", "shared"))
	_ = st.Add(secretMeta("ns", "unused"))
	if got := drain(q); len(got) != 0 {
		t.Fatalf("unrelated secrets enqueued %v", got)
	}
	_ = st.Delete(cache.DeletedFinalStateUnknown{Key: "ns/only-a", Obj: secretMeta("ns", "only-a")})
	if got := drain(q); len(got) != 1 {
		t.Fatalf("tombstone: enqueued %v", got)
	}

	// Re-tracking replaces the old references; forgetting drops all.
	tr.Track(a, []string{"new"})
	_ = st.Update(secretMeta("ns", "only-a"))
	if got := drain(q); len(got) != 0 {
		t.Fatalf("stale reference enqueued %v", got)
	}
	tr.Forget(a)
	tr.Forget(b)
	if tr.Tracked() != 0 {
		t.Fatalf("%d secrets still tracked after Forget", tr.Tracked())
	}
}

func TestTrackerRelistOffersEverySecretInUse(t *testing.T) {
	tr := New(nil, "")
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	tr.queue = q
	st := newStore(tr)
	tr.Track(types.NamespacedName{Namespace: "ns", Name: "a"}, []string{"s"})
	_ = st.Replace([]any{secretMeta("ns", "s"), secretMeta("ns", "unused")}, "1")
	if got := drain(q); len(got) != 0 {
		t.Fatalf("first list enqueued %v: every Deployment is reconciled at start anyway", got)
	}
	select {
	case <-st.listed:
	default:
		t.Fatal("first Replace did not mark the store listed")
	}
	_ = st.Replace([]any{secretMeta("ns", "s"), secretMeta("ns", "unused")}, "2")
	if got := drain(q); len(got) != 1 {
		t.Fatalf("relist enqueued %v, want ns/a", got)
	}
}
