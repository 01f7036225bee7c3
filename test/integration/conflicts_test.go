package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
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
	ns := env.Namespace("conflicts")
	conflicts := op.Metric("vault_sync_operator_kube_conflicts_total", "resource", "deployments")
	before := conflicts()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("app-%02d", i)
		env.Create(e2e.NewSecret(ns, name, "v", "0"))
		d := e2e.NewDeployment(ns, name, map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/" + name}, name)
		d.Finalizers = []string{"example.com/other-controller"}
		env.Create(d)
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
					if env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &d) == nil {
						if d.Labels == nil {
							d.Labels = map[string]string{}
						}
						d.Labels["storm"] = fmt.Sprint(round)
						_ = env.Client.Update(ctx, &d)
					}
					var s corev1.Secret
					if env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s) == nil {
						s.Data["v"] = []byte(fmt.Sprint(round))
						_ = env.Client.Update(ctx, &s)
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
		Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s)).To(Succeed())
		path := "secret/data/" + ns + "/" + name + "/" + name
		env.EventuallyKV(path).Should(HaveKeyWithValue("v", string(s.Data["v"])), name)
		Eventually(func() string {
			return fmt.Sprint(env.PushRecord(ns, name).Locations)
		}, 20*time.Second, 200*time.Millisecond).Should(Equal("[secret/data/"+ns+"/"+name+"/"+name+"]"), name)
		d := e2e.Get(env.Client, ns, name, &appsv1.Deployment{})
		Expect(d.Finalizers).To(ConsistOf(pushsync.Finalizer, "example.com/other-controller"), name)
	}

	// Deleting them removes exactly their data, once the other controller lets go.
	for i := 0; i < n; i++ {
		Expect(env.Client.Delete(ctx, e2e.Get(env.Client, ns, fmt.Sprintf("app-%02d", i), &appsv1.Deployment{}))).To(Succeed())
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("app-%02d", i)
		Eventually(func() *appsv1.Deployment {
			d := e2e.Get(env.Client, ns, name, &appsv1.Deployment{})
			if d != nil && controllerutil.ContainsFinalizer(d, "example.com/other-controller") {
				controllerutil.RemoveFinalizer(d, "example.com/other-controller")
				_ = env.Client.Update(ctx, d)
			}
			return d
		}, 20*time.Second, 200*time.Millisecond).Should(BeNil())
		env.EventuallyKV("secret/data/" + ns + "/" + name + "/" + name).Should(BeNil())
	}
}
