package ha

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// createApps creates Secrets and Deployments app-<from>..app-<to-1>, each
// pushing its Secret to secret/data/<ns>/<name>.
func createApps(ns string, from, to int) error {
	ctx := context.Background()
	for i := from; i < to; i++ {
		name := fmt.Sprintf("app-%d", i)
		if err := env.Client.Create(ctx, e2e.NewSecret(ns, name, "k", name)); err != nil {
			return err
		}
		ann := map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/" + name}
		if err := env.Client.Create(ctx, e2e.NewDeployment(ns, name, ann, name)); err != nil {
			return err
		}
	}
	return nil
}

// synced is a poller of how many of those apps Vault holds.
func synced(ns string, from, to int) func() int {
	return func() int {
		n := 0
		for i := from; i < to; i++ {
			if env.ReadKV(fmt.Sprintf("secret/data/%s/app-%d/app-%d", ns, i, i)) != nil {
				n++
			}
		}
		return n
	}
}

// writes is the number of Vault writes p made (-1 when it cannot be scraped).
func writes(p *e2e.Process) float64 {
	return p.Metric("vault_sync_operator_vault_requests_total", "kind", "write")()
}

func TestLeaderElectionHandsOverMidBurst(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	a, b := startReplicas(t)

	ns := "ha"
	Expect(env.EnsureNamespace(ctx, ns)).To(Succeed())
	Expect(createApps(ns, 0, 20)).To(Succeed())
	Eventually(synced(ns, 0, 20), 60*time.Second, 250*time.Millisecond).Should(Equal(20))

	// Exactly one replica leads, and only it wrote.
	leader, standby := electedLeader(a, b)
	Expect(writes(standby)).To(Equal(0.0), "the standby never writes")
	Expect(writes(leader)).To(BeNumerically(">=", 20))

	// Kill the leader in the middle of a new burst (no graceful release):
	// Deployments keep arriving before and after the kill.
	created := make(chan error, 1)
	go func() { created <- createApps(ns, 20, 120) }()
	time.Sleep(150 * time.Millisecond)
	leader.Kill()
	Expect(<-created).To(Succeed())
	Eventually(standby.IsLeader, 40*time.Second, 500*time.Millisecond).Should(BeTrue(), "the standby takes over")
	Eventually(synced(ns, 0, 120), 60*time.Second, 500*time.Millisecond).Should(Equal(120), "the new leader finishes the work")
	Expect(writes(standby)).To(BeNumerically(">", 0))

	// Nothing orphaned or half-recorded: every Deployment carries the
	// finalizer and a complete record of what is in Vault.
	Eventually(func() int {
		var list appsv1.DeploymentList
		_ = env.Client.List(ctx, &list, client.InNamespace(ns))
		complete := 0
		for _, d := range list.Items {
			st := e2e.PushRecordOf(&d)
			if controllerutil.ContainsFinalizer(&d, pushsync.Finalizer) && st.Hash != "" && len(st.Locations) == 1 {
				complete++
			}
		}
		return complete
	}, 30*time.Second, 500*time.Millisecond).Should(Equal(120))
	list, err := env.Vault.Root.Logical().List("secret/metadata/" + ns)
	Expect(err).NotTo(HaveOccurred())
	Expect(list.Data["keys"]).To(HaveLen(120), "no path without its Deployment")
}
