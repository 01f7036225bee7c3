package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// TestSharedValueRotationIsNotAStorm: 60 VaultApps read one value; when it
// rotates, every Secret follows at once, and every Deployment rolls exactly
// once, spread by --max-rollouts-per-second (10/s with a burst of 10 here):
// no rollout storm, no second rollout.
func TestSharedValueRotationIsNotAStorm(t *testing.T) {
	RegisterTestingT(t)
	const n = 60
	ns := env.Namespace("storm")
	path := "kv/data/" + ns + "/shared"
	env.PutKV(path, map[string]any{"token": "one"})
	for i := 0; i < n; i++ {
		env.Create(newApp(ns, fmt.Sprintf("app-%02d", i), appv1alpha1.SecretRef{Path: path, Key: "token", TargetKey: "token"}))
	}
	gens := map[string]int64{}
	Eventually(func() int {
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("app-%02d", i)
			if d := e2e.Get(env.Client, ns, name, &appsv1.Deployment{}); d != nil {
				gens[name] = d.Generation
			}
		}
		return len(gens)
	}, 60*time.Second, 500*time.Millisecond).Should(Equal(n))

	env.PutKV(path, map[string]any{"token": "two"})
	rolled := map[string]time.Time{}
	queued := 0
	Eventually(func() int {
		var list appsv1.DeploymentList
		Expect(env.Client.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
		for _, d := range list.Items {
			if _, seen := rolled[d.Name]; !seen && d.Generation > gens[d.Name] {
				rolled[d.Name] = time.Now()
			}
		}
		for i := 0; i < n; i++ {
			if c := env.Condition(ns, fmt.Sprintf("app-%02d", i), appv1alpha1.ConditionDeploymentReady)(); c == "False/RolloutQueued" {
				queued++
			}
		}
		return len(rolled)
	}, 60*time.Second, 100*time.Millisecond).Should(Equal(n))
	first, last := time.Now(), time.Time{}
	for _, at := range rolled {
		first, last = minTime(first, at), maxTime(last, at)
	}
	Expect(last.Sub(first)).To(BeNumerically(">=", 3*time.Second), "rollouts are spread, not all at once")
	Expect(queued).To(BeNumerically(">", 0), "waiting apps say so in DeploymentReady")
	// Exactly one rollout each, and the Secrets all hold the new value.
	Consistently(func() []string {
		var twice []string
		for name, g := range gens {
			if d := e2e.Get(env.Client, ns, name, &appsv1.Deployment{}); d.Generation != g+1 {
				twice = append(twice, name)
			}
		}
		return twice
	}, 12*time.Second, time.Second).Should(BeEmpty())
	for name := range gens {
		Expect(e2e.Get(env.Client, ns, appv1alpha1.SecretNameFor(name), &corev1.Secret{}).Data["token"]).To(Equal([]byte("two")))
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
