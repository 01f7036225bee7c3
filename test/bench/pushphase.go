package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// pushPhase creates the annotated Deployments, then starts the operator and
// measures until every one of them is in Vault. The operator it starts is
// the one the later phases measure.
func (b *bench) pushPhase(ctx context.Context) error {
	n := b.cfg.n
	step("creating %d Secrets and annotated Deployments", n)
	if err := createPushObjects(ctx, b.c, b.env, n); err != nil {
		return err
	}
	step("starting the operator")
	start := time.Now()
	op, err := b.startOperator()
	if err != nil {
		return err
	}
	b.op = op
	cpuDone := b.profileCPU(ctx)
	if !poll(ctx, 50*time.Millisecond, 15*time.Minute, func() bool { return pushedCount(ctx, b.env) >= n }) {
		return fmt.Errorf("push cold start did not finish (%d/%d)", pushedCount(ctx, b.env), n)
	}
	cold := time.Since(start)
	step("push cold start: %d Deployments in %.2fs", n, cold.Seconds())
	time.Sleep(settle)
	m, err := op.Metrics()
	if err != nil {
		return err
	}
	b.s.add("push: cold start (s; operator start -> every path in Vault)", "%.2f", val("push_cold_start_s", cold.Seconds()))
	b.s.addThroughput("push_cold", "push: cold start", n, cold, b.ceil.pushBound(), "Secret GET, patch, Vault put")
	b.s.addPerObject("push_cold", "push: cold start", trafficOf(m), n)
	b.s.add("push: cold start Vault mount look-ups", "%.0f", val("push_cold_mount_lookups", trafficOf(m).VaultMount))
	<-cpuDone
	b.saveProfile("heap", "heap-after-push")
	rss, _ := op.Memory()
	b.s.add("memory after push: RSS / heap (MiB)", "%.1f / %.1f",
		val("rss_after_push_mib", rss), val("heap_after_push_mib", m.Sum("go_memstats_heap_inuse_bytes")/(1<<20)))
	return nil
}

// profileCPU saves a CPU profile of the push cold start when -profiles is
// set; the channel closes when it is written (at once without -profiles).
func (b *bench) profileCPU(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if b.cfg.profiles == "" {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		poll(ctx, 20*time.Millisecond, 10*time.Second, func() bool { // wait for the pprof listener
			c, err := net.Dial("tcp", b.op.PprofAddr)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		b.saveProfile(fmt.Sprintf("profile?seconds=%d", int(max(2, float64(b.cfg.n)/300))), "cpu-push-cold")
	}()
	return done
}

// saveProfile saves a pprof profile of the operator under -profiles (named
// with the run), if set.
func (b *bench) saveProfile(kind, name string) {
	if b.cfg.profiles == "" {
		return
	}
	path := filepath.Join(b.cfg.profiles, fmt.Sprintf("%s-run%d.pprof", name, b.run+1))
	if err := b.op.SaveProfile(kind, path); err != nil {
		step("%s profile: %v", name, err)
	}
}

// propagationPhase changes m Secrets one by one and measures each until
// Vault holds the new value.
func (b *bench) propagationPhase(ctx context.Context) error {
	step("propagation: changing %d Secrets one by one", b.cfg.m)
	lat, err := propagate(ctx, b.c, b.env, b.cfg.n, b.cfg.m)
	if err != nil {
		return err
	}
	b.s.add("push: Secret change -> Vault p50 / p99 (s)", "%.3f / %.3f",
		val("push_propagation_p50_s", percentile(lat, 0.5)), val("push_propagation_p99_s", percentile(lat, 0.99)))
	return nil
}

// propagate changes m Secrets one after another and measures, for each,
// the time until Vault holds the new value.
func propagate(ctx context.Context, c client.Client, env *e2e.Env, n, m int) ([]time.Duration, error) {
	var lat []time.Duration
	for j := 0; j < m; j++ {
		o := pushObj((j * 7919) % n)
		val := fmt.Sprintf("changed-%d-%d", j, time.Now().UnixNano())
		start, err := changeSecret(ctx, c, o, val)
		if err != nil {
			return nil, err
		}
		if err := waitInVault(ctx, env, o, val, 30*time.Second); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(start))
	}
	return lat, nil
}

// changeSecret sets the value the push Deployment o syncs and returns when
// the update was sent.
func changeSecret(ctx context.Context, c client.Client, o pushObject, value string) (time.Time, error) {
	var s corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: o.ns, Name: o.secret}, &s); err != nil {
		return time.Time{}, err
	}
	s.Data["v"] = []byte(value)
	start := time.Now()
	return start, c.Update(ctx, &s)
}

// waitInVault polls Vault until o's value there is value.
func waitInVault(ctx context.Context, env *e2e.Env, o pushObject, value string, timeout time.Duration) error {
	path, key := o.vaultPath()
	if !poll(ctx, 5*time.Millisecond, timeout, func() bool { return env.ReadKV(path)[key] == value }) {
		return fmt.Errorf("change of %s/%s did not reach vault %s in %s", o.ns, o.secret, path, timeout)
	}
	return nil
}

// unrelatedPhase adds Secrets no Deployment uses and checks that the
// operator's memory does not grow with them.
func (b *bench) unrelatedPhase(ctx context.Context) error {
	step("adding %d unrelated 4 KiB Secrets", b.cfg.unrelated)
	before, _ := b.op.Memory()
	if err := createUnrelatedSecrets(ctx, b.c, b.env, b.cfg.unrelated); err != nil {
		return err
	}
	time.Sleep(10 * time.Second)
	rss, _ := b.op.Memory()
	b.saveProfile("heap", "heap-with-unrelated")
	heap := 0.0
	if m, err := b.op.Metrics(); err == nil {
		heap = m.Sum("go_memstats_heap_inuse_bytes") / (1 << 20)
	}
	b.s.add(fmt.Sprintf("memory with %d unrelated Secrets: RSS / heap / RSS change (MiB)", b.cfg.unrelated), "%.1f / %.1f / %+.1f",
		val("rss_with_unrelated_mib", rss), val("heap_with_unrelated_mib", heap), val("rss_unrelated_delta_mib", rss-before))
	return nil
}
