package secretwatch

import (
	"context"
	"os"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// TestMain turns client-go's streaming initial list (WatchList) off: the
// fake metadata client cannot stream it, and the Tracker's ListWatch does
// not tell the reflector so (cache.ToListWatcherWithWatchListSemantics
// would). The feature gate is read once per process, so it is set here,
// before any reflector runs. Against a real apiserver (test/integration)
// the Tracker streams as usual.
func TestMain(m *testing.M) {
	os.Setenv("KUBE_FEATURE_WatchListClient", "false")
	os.Exit(m.Run())
}

func typedSecretMeta(ns, name string) *metav1.PartialObjectMetadata {
	m := secretMeta(ns, name)
	m.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}
	return m
}

// waitForQueue waits until q holds n items, then drains it.
func waitForQueue(t *testing.T, q workqueue.TypedRateLimitingInterface[reconcile.Request], n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for q.Len() < n {
		if time.Now().After(deadline) {
			t.Fatalf("queue holds %d items, want %d", q.Len(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return drain(q)
}

func TestStartListsThenWatchesTheSecretsOfItsNamespace(t *testing.T) {
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	md := metadatafake.NewSimpleMetadataClient(scheme, typedSecretMeta("team", "db"), typedSecretMeta("other", "db"))
	tr := New(md, "team")
	tr.Track(types.NamespacedName{Namespace: "team", Name: "web"}, []string{"db"})
	tr.Track(types.NamespacedName{Namespace: "other", Name: "web"}, []string{"db"})
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	if err := tr.Start(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := tr.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if q.Len() != 0 {
		t.Fatalf("the first list enqueued %v: every Deployment is reconciled at start anyway", drain(q))
	}

	secrets := md.Resource(secretsGVR)
	for _, ns := range []string{"other", "team"} { // other's change is outside the watch
		if _, err := secrets.Namespace(ns).(metadatafake.MetadataClient).UpdateFake(typedSecretMeta(ns, "db"), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := waitForQueue(t, q, 1); len(got) != 1 || got[0] != "team/web" {
		t.Fatalf("a change enqueued %v, want team/web", got)
	}
	time.Sleep(50 * time.Millisecond)
	if q.Len() != 0 {
		t.Fatalf("a change in another namespace enqueued %v", drain(q))
	}
}

func TestWaitForSyncEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := New(nil, "").WaitForSync(ctx); err != context.Canceled {
		t.Fatalf("WaitForSync of a tracker never started = %v, want context.Canceled", err)
	}
}

func TestReferencedPerNamespaceCountsEachSecretOnce(t *testing.T) {
	tr := New(nil, "")
	tr.Track(types.NamespacedName{Namespace: "a", Name: "web"}, []string{"db", "api"})
	tr.Track(types.NamespacedName{Namespace: "a", Name: "worker"}, []string{"db"})
	tr.Track(types.NamespacedName{Namespace: "b", Name: "web"}, []string{"db"})
	tr.Track(types.NamespacedName{Namespace: "b", Name: "idle"}, nil)
	got := tr.ReferencedPerNamespace()
	if len(got) != 2 || got["a"] != 2 || got["b"] != 1 {
		t.Fatalf("ReferencedPerNamespace = %v, want a:2 b:1", got)
	}
}
