// Package cluster runs the operator on the whole-cluster rig
// (controller-manager, scheduler, a KWOK node): Deployments really roll out,
// pods become Ready, and the garbage collector deletes owned objects.
package cluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/opproc"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var (
	testRig *rig.Rig
	opBin   string
	op      *opproc.Proc
)

func TestMain(m *testing.M) {
	root, _ := rig.RepoRoot()
	os.Exit(rig.Main(m, rig.Options{WithCluster: true,
		CRDDirectoryPaths: []string{filepath.Join(root, "config/crd/bases"), filepath.Join(root, "test/crds")}},
		func(r *rig.Rig) func() {
			testRig = r
			ctx := context.Background()
			must(r.Vault.WritePolicy(ctx, "apps", `path "kv/*" { capabilities = ["read"] }
path "sys/internal/ui/mounts/*" { capabilities = ["read"] }`))
			must(r.Vault.WriteKubernetesRole(ctx, "kubernetes", "billing-app", rig.KubernetesRole{
				ServiceAccountNames: []string{rig.OperatorServiceAccount}, Namespaces: []string{rig.OperatorNamespace},
				Policies: []string{"apps"}, TTL: time.Hour}))
			var err error
			opBin, err = opproc.Build(r, root)
			must(err)
			op = startOperator()
			return func() { op.Stop() }
		}))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func startOperator() *opproc.Proc {
	p, err := opproc.Start(context.Background(), testRig, opBin, nil, "--vaultapp-refresh-interval=10s")
	must(err)
	return p
}

// restartOperator stops the operator process and starts a new one, as a
// rollout of the operator or a leader change would.
func restartOperator() {
	op.Stop()
	op = startOperator()
}

func kvPut(path string, data map[string]any) {
	ExpectWithOffset(1, testRig.Vault.PutKV(context.Background(), path, data)).To(Succeed())
}

func get[T client.Object](ns, name string, obj T) T {
	if err := testRig.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		var zero T
		return zero
	}
	return obj
}

// replicaSets lists the ReplicaSets of a Deployment (by owner).
func replicaSets(ns, dep string) []appsv1.ReplicaSet {
	var list appsv1.ReplicaSetList
	_ = testRig.Client.List(context.Background(), &list, client.InNamespace(ns))
	var out []appsv1.ReplicaSet
	for _, rs := range list.Items {
		for _, ref := range rs.OwnerReferences {
			if ref.Kind == "Deployment" && ref.Name == dep {
				out = append(out, rs)
			}
		}
	}
	return out
}

func readyPods(ns string, labels map[string]string) []corev1.Pod {
	var list corev1.PodList
	_ = testRig.Client.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels(labels))
	var out []corev1.Pod
	for _, p := range list.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
				out = append(out, p)
			}
		}
	}
	return out
}
