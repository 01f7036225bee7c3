// Package ha runs two operator processes with leader election against the
// rig: only the leader writes, and killing it (mid-burst, SIGKILL, no lease
// release) hands the work to the other, which finishes it with nothing
// orphaned.
package ha

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

var env *e2e.Env

func TestMain(m *testing.M) {
	os.Exit(e2e.Main(m, rig.Options{CRDDirectoryPaths: e2e.CRDPaths()}, func(e *e2e.Env) error {
		env = e
		return e.GrantEverything(context.Background())
	}))
}

// startReplicas starts two operator processes electing a leader, stopped
// when the test ends.
func startReplicas(t *testing.T) (a, b *e2e.Process) {
	launch := e2e.Launch{Args: []string{"--leader-elect", "--leader-election-namespace=" + rig.OperatorNamespace}}
	a, err := env.StartProcess(launch)
	Expect(err).NotTo(HaveOccurred())
	t.Cleanup(a.Stop)
	b, err = env.StartProcess(launch)
	Expect(err).NotTo(HaveOccurred())
	t.Cleanup(b.Stop)
	return a, b
}

// electedLeader waits up to 10s for exactly one of a and b to lead.
func electedLeader(a, b *e2e.Process) (leader, standby *e2e.Process) {
	EventuallyWithOffset(1, func() bool { return a.IsLeader() != b.IsLeader() }, 10*time.Second).Should(BeTrue())
	if b.IsLeader() {
		return b, a
	}
	return a, b
}
