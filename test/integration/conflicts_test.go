package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
)

// TestConflictStormConverges: while another writer keeps updating the
// annotated Deployments (and their Secrets) for several seconds, the
// operator's patches hit 409 Conflicts. Afterwards every Deployment
// converges: its data is in Vault, its record lists exactly its path, its
// finalizer is there once, and the other writer's finalizer survived.
func TestConflictStormConverges(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	const n = 20
	ns := newNamespace(t, "conflicts")
	conflicts := func() float64 { return testutil.ToFloat64(metrics.KubeConflicts.WithLabelValues("deployments")) }
	before := conflicts()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("app-%02d", i)
		create(newSecret(ns, name, "v", "0"))
		d := newDeployment(ns, name, map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/" + name}, name)
		d.Finalizers = []string{"example.com/other-controller"}
		create(d)
	}
	// The storm: rewrite every Deployment and Secret as fast as possible.
	stop := time.Now().Add(8 * time.Second)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for round := 0; time.Now().Before(stop); round++ {
				for i := w; i < n; i += 4 {
					name := fmt.Sprintf("app-%02d", i)
					var d appsv1.Deployment
					if testRig.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &d) == nil {
						if d.Labels == nil {
							d.Labels = map[string]string{}
						}
						d.Labels["storm"] = fmt.Sprint(round)
						_ = testRig.Client.Update(ctx, &d)
					}
					var s corev1.Secret
					if testRig.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s) == nil {
						s.Data["v"] = []byte(fmt.Sprint(round))
						_ = testRig.Client.Update(ctx, &s)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	Expect(conflicts()).To(BeNumerically(">", before), "the storm made the operator's patches conflict")

	for i := 0; i < n; i++ {
		name := fmt.Sprintf("app-%02d", i)
		var s corev1.Secret
		Expect(testRig.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s)).To(Succeed())
		path := "secret/data/" + ns + "/" + name + "/" + name
		eventuallyVault(path).Should(HaveKeyWithValue("v", string(s.Data["v"])), name)
		Eventually(func() string {
			d := getDeployment(ns, name)
			st, _ := pushsync.ReadState(d.Annotations)
			return fmt.Sprint(st.Locations)
		}, 20*time.Second, 200*time.Millisecond).Should(Equal("[secret/data/"+ns+"/"+name+"/"+name+"]"), name)
		d := getDeployment(ns, name)
		Expect(d.Finalizers).To(ConsistOf(pushsync.Finalizer, "example.com/other-controller"), name)
	}

	// Deleting them removes exactly their data, once the other controller lets go.
	for i := 0; i < n; i++ {
		Expect(testRig.Client.Delete(ctx, getDeployment(ns, fmt.Sprintf("app-%02d", i)))).To(Succeed())
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("app-%02d", i)
		Eventually(func() *appsv1.Deployment {
			d := getDeployment(ns, name)
			if d != nil && controllerutil.ContainsFinalizer(d, "example.com/other-controller") {
				controllerutil.RemoveFinalizer(d, "example.com/other-controller")
				_ = testRig.Client.Update(ctx, d)
			}
			return d
		}, 20*time.Second, 200*time.Millisecond).Should(BeNil())
		eventuallyVault("secret/data/" + ns + "/" + name + "/" + name).Should(BeNil())
	}
}
