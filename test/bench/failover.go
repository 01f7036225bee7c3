package main

import (
	"context"
	"fmt"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// failoverPhase runs two replicas with leader election, kills the leader
// with SIGKILL (a crash: the lease is not released), changes a Secret
// right after, and measures until the new leader has synced it to Vault;
// also when the lease changed hands and when the new leader had
// re-verified everything.
func (b *bench) failoverPhase(ctx context.Context) error {
	deps, apps := b.cfg.n, totalApps(b.cfg)
	step("failover: two replicas with leader election")
	b.op.Stop()
	leader, standby, err := b.startReplicas(ctx, deps, apps)
	if err != nil {
		return err
	}
	defer standby.Stop()
	o := pushObj(b.cfg.n - 1)
	value := fmt.Sprintf("failover-%d", time.Now().UnixNano())
	leaderAt := make(chan time.Duration, 1)
	killed := time.Now()
	leader.Kill()
	go func() {
		if poll(ctx, 50*time.Millisecond, 2*time.Minute, standby.IsLeader) {
			leaderAt <- time.Since(killed)
		}
		close(leaderAt)
	}()
	if _, err := changeSecret(ctx, b.c, o, value); err != nil {
		return err
	}
	if err := waitInVault(ctx, b.env, o, value, 2*time.Minute); err != nil {
		return err
	}
	firstSync := time.Since(killed)
	took, ok := <-leaderAt
	if !ok {
		return fmt.Errorf("the standby never reported leading")
	}
	done, err := waitConverged(ctx, standby, deps, apps, 10*time.Minute)
	if err != nil {
		return fmt.Errorf("new leader: %w", err)
	}
	step("failover: lease taken after %.2fs, first sync %.2fs after the kill", took.Seconds(), firstSync.Seconds())
	b.s.add("failover (SIGKILL of the leader): lease taken / changed Secret in Vault / all re-verified (s)", "%.2f / %.2f / %.2f",
		val("failover_leader_s", took.Seconds()), val("failover_first_sync_s", firstSync.Seconds()), val("failover_reverified_s", done.Sub(killed).Seconds()))
	return nil
}

// startReplicas starts two operator processes with leader election and
// returns them once the first leads and has reconciled everything and the
// second is ready (logged in, caches filling) as a standby.
func (b *bench) startReplicas(ctx context.Context, deps, apps int) (leader, standby *e2e.Process, err error) {
	elect := []string{"--leader-elect", "--leader-election-namespace=" + rig.OperatorNamespace}
	if leader, err = b.startOperator(elect...); err != nil {
		return nil, nil, err
	}
	if !poll(ctx, 100*time.Millisecond, time.Minute, leader.IsLeader) {
		return nil, nil, fmt.Errorf("the first replica did not lead within a minute")
	}
	if _, err := waitConverged(ctx, leader, deps, apps, 10*time.Minute); err != nil {
		return nil, nil, fmt.Errorf("first replica: %w", err)
	}
	if standby, err = b.startOperator(elect...); err != nil {
		return nil, nil, err
	}
	if !poll(ctx, 100*time.Millisecond, time.Minute, func() bool { return standby.Probe("/readyz")() == 200 }) {
		return nil, nil, fmt.Errorf("the standby was not ready within a minute")
	}
	time.Sleep(3 * time.Second) // its informers fill while it waits for the lease
	if standby.IsLeader() {
		return nil, nil, fmt.Errorf("both replicas lead")
	}
	return leader, standby, nil
}
