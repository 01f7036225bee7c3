// Package ha runs two operator processes with leader election against the
// rig: only the leader writes, and killing it (mid-burst, SIGKILL, no lease
// release) hands the work to the other, which finishes it with nothing
// orphaned.
package ha

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/test/opproc"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var testRig *rig.Rig

func TestMain(m *testing.M) {
	root, _ := rig.RepoRoot()
	os.Exit(rig.Main(m, rig.Options{CRDDirectoryPaths: []string{filepath.Join(root, "config/crd/bases"), filepath.Join(root, "test/crds")}},
		func(r *rig.Rig) func() { testRig = r; return nil }))
}

func createApps(ns string, from, to int) error {
	ctx := context.Background()
	for i := from; i < to; i++ {
		name := fmt.Sprintf("app-%d", i)
		if err := testRig.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: map[string]string{"k": name}}); err != nil {
			return err
		}
		labels := map[string]string{"app": name}
		if err := testRig.Client.Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{pushsync.AnnotationPath: "secret/data/" + ns + "/" + name}},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "a",
					EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}}}}}},
		}); err != nil {
			return err
		}
	}
	return nil
}

func synced(ns string, from, to int) func() int {
	return func() int {
		n := 0
		for i := from; i < to; i++ {
			s, _ := testRig.Vault.Root.Logical().Read(fmt.Sprintf("secret/data/%s/app-%d/app-%d", ns, i, i))
			if s != nil {
				n++
			}
		}
		return n
	}
}

func isLeader(p *opproc.Proc) bool {
	m, err := p.Scrape()
	return err == nil && m.Sum("leader_election_master_status") == 1
}

func writes(p *opproc.Proc) float64 {
	m, err := p.Scrape()
	if err != nil {
		return -1
	}
	return m.Sum("vault_sync_operator_vault_requests_total", "kind", "write")
}

func TestLeaderElectionHandsOverMidBurst(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	root, _ := rig.RepoRoot()
	bin, err := opproc.Build(testRig, root)
	Expect(err).NotTo(HaveOccurred())
	args := []string{"--leader-elect", "--leader-election-namespace=" + rig.OperatorNamespace}
	a, err := opproc.Start(ctx, testRig, bin, nil, args...)
	Expect(err).NotTo(HaveOccurred())
	defer a.Stop()
	b, err := opproc.Start(ctx, testRig, bin, nil, args...)
	Expect(err).NotTo(HaveOccurred())
	defer b.Stop()

	ns := "ha"
	Expect(testRig.EnsureNamespace(ctx, ns)).To(Succeed())
	Expect(createApps(ns, 0, 20)).To(Succeed())
	Eventually(synced(ns, 0, 20), 60*time.Second, 250*time.Millisecond).Should(Equal(20))

	// Exactly one replica leads, and only it wrote.
	Eventually(func() bool { return isLeader(a) != isLeader(b) }, 10*time.Second).Should(BeTrue())
	leader, standby := a, b
	if isLeader(b) {
		leader, standby = b, a
	}
	Expect(writes(standby)).To(Equal(0.0), "the standby never writes")
	Expect(writes(leader)).To(BeNumerically(">=", 20))

	// Kill the leader in the middle of a new burst (no graceful release):
	// Deployments keep arriving before and after the kill.
	created := make(chan error, 1)
	go func() { created <- createApps(ns, 20, 120) }()
	time.Sleep(150 * time.Millisecond)
	Expect(leader.Signal(syscall.SIGKILL)).To(Succeed())
	Expect(<-created).To(Succeed())
	Eventually(func() bool { return isLeader(standby) }, 40*time.Second, 500*time.Millisecond).Should(BeTrue(), "the standby takes over")
	Eventually(synced(ns, 0, 120), 60*time.Second, 500*time.Millisecond).Should(Equal(120), "the new leader finishes the work")
	Expect(writes(standby)).To(BeNumerically(">", 0))

	// Nothing orphaned or half-recorded: every Deployment carries the
	// finalizer and a complete record of what is in Vault.
	Eventually(func() int {
		var list appsv1.DeploymentList
		_ = testRig.Client.List(ctx, &list, client.InNamespace(ns))
		complete := 0
		for _, d := range list.Items {
			st, _ := pushsync.ReadState(d.Annotations)
			if controllerutil.ContainsFinalizer(&d, pushsync.Finalizer) && st.Hash != "" && len(st.Locations) == 1 {
				complete++
			}
		}
		return complete
	}, 30*time.Second, 500*time.Millisecond).Should(Equal(120))
	list, err := testRig.Vault.Root.Logical().List("secret/metadata/" + ns)
	Expect(err).NotTo(HaveOccurred())
	Expect(list.Data["keys"]).To(HaveLen(120), "no path without its Deployment")
}
