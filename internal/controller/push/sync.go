package push

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// pass is one sync of one Deployment, filled in by the steps in order.
type pass struct {
	dep   *appsv1.Deployment
	cfg   pushsync.Config
	kv    vault.KVStore
	start time.Time
	// recorded is the trusted state found on the Deployment; state is what
	// is recorded now (recorded plus locations claimed before writing);
	// unverified are locations of a record that did not verify.
	recorded, state pushsync.State
	// mine: recorded is the record this process last wrote (proof.go).
	mine       bool
	unverified []vault.Location
	names      []string
	secrets    map[string]*corev1.Secret
	writes     []pushsync.Write
	locs       []vault.Location
	hash       string
	// unchanged: the data and paths are as recorded; verify: the periodic
	// drift check is due.
	unchanged, verify bool
	// versions are the KV v2 versions written (or, before, expected).
	versions map[string]int
	// sums are the keyed digests of the KV v1 data written (State.Sums).
	sums             map[string]string
	written, removed []string
}

// syncStep is one step of a sync. done ends the sync early with nothing
// left to do; an error ends it and is reported by failed.
type syncStep func(r *Reconciler, ctx context.Context, p *pass) (done bool, err error)

// syncSteps make Vault hold what the Deployment's Secrets contain. They
// write only when the content or the paths changed since the recorded sync
// (or Vault does not hold what the record says: checked once per process,
// and periodically with vault-sync.io/reconcile). The record of what is
// about to be written goes first, with the finalizer, in one patch; then
// Vault; then locations no longer wanted are removed, and the record is
// corrected only if something differs from what it announced.
// docs/performance.md has the crash-safety argument of each step.
var syncSteps = []syncStep{
	(*Reconciler).readSecrets,
	(*Reconciler).plan,
	(*Reconciler).locate,
	(*Reconciler).skipUnchanged,
	(*Reconciler).recordIntent,
	(*Reconciler).writeData,
	(*Reconciler).removeStale,
	(*Reconciler).recordSynced,
}

func (r *Reconciler) sync(ctx context.Context, dep *appsv1.Deployment, cfg pushsync.Config, rec pushsync.Record) (reconcile.Result, error) {
	p := &pass{dep: dep, cfg: cfg, kv: r.Vault(dep), recorded: rec.Trusted, mine: r.recordedHere(dep, rec.Trusted), state: rec.Trusted, unverified: rec.Unverified, start: time.Now()}
	requeue := reconcile.Result{RequeueAfter: kube.Jitter(cfg.ReconcileInterval)}
	for _, step := range syncSteps {
		done, err := step(r, ctx, p)
		if err != nil {
			return reconcile.Result{}, r.failed(ctx, dep, err)
		}
		if done {
			return requeue, nil
		}
	}
	r.synced(ctx, p)
	r.dirty.Delete(keyOf(dep))
	return requeue, nil
}

// readSecrets reads the referenced Secrets from the API server, after
// telling the Tracker about them: no change can slip between.
func (r *Reconciler) readSecrets(ctx context.Context, p *pass) (bool, error) {
	p.names = pushsync.SecretNames(p.cfg, &p.dep.Spec.Template.Spec)
	r.Tracker.Track(types.NamespacedName{Namespace: p.dep.Namespace, Name: p.dep.Name}, p.names)
	p.secrets = make(map[string]*corev1.Secret, len(p.names))
	for _, n := range p.names {
		var s corev1.Secret
		if err := r.Secrets.Get(ctx, types.NamespacedName{Namespace: p.dep.Namespace, Name: n}, &s); err != nil {
			return false, &secretReadError{name: n, err: err}
		}
		p.secrets[n] = &s
	}
	return false, nil
}

// plan computes what Vault must hold.
func (r *Reconciler) plan(_ context.Context, p *pass) (bool, error) {
	var err error
	p.writes, err = pushsync.Plan(p.cfg, p.secrets)
	return false, err
}

// locate resolves the Vault location of every write and checks each
// against the path policy before anything is sent.
func (r *Reconciler) locate(ctx context.Context, p *pass) (bool, error) {
	base, err := p.kv.ResolveKV(ctx, p.cfg.Path)
	if err != nil {
		return false, vaultOpError("write", err)
	}
	base = base.WithPrefix(r.clusterPrefix())
	p.locs = make([]vault.Location, len(p.writes))
	paths := make([]string, len(p.writes))
	for i, w := range p.writes {
		p.locs[i] = base
		if w.Sub != "" {
			p.locs[i] = base.Child(w.Sub)
		}
		paths[i] = p.locs[i].String()
		if err := r.Policy.AllowPath(ctx, p.dep.Namespace, paths[i], policy.Write); err != nil {
			return false, err
		}
	}
	p.hash = pushsync.Hash(r.Key, string(p.dep.UID), paths, p.writes)
	return false, nil
}

// synced reports a sync that reached its end: metrics, and an event and a
// log line when something was written or removed.
func (r *Reconciler) synced(ctx context.Context, p *pass) {
	metrics.SyncAttempts.WithLabelValues(p.dep.Namespace, "success").Inc()
	metrics.SyncDuration.Observe(time.Since(p.start).Seconds())
	if len(p.written) == 0 && len(p.removed) == 0 {
		return
	}
	reason, msg := v1alpha1.ReasonSynced, fmt.Sprintf("synced %d secret(s) to vault: %s", len(p.written), strings.Join(p.written, ", "))
	if p.unchanged {
		reason, msg = v1alpha1.ReasonRestored, "restored data missing or changed in vault: "+strings.Join(p.written, ", ")
	}
	if len(p.removed) > 0 {
		msg += fmt.Sprintf("; removed %s", strings.Join(p.removed, ", "))
	}
	r.Events.Normal(p.dep, reason, msg)
	log.FromContext(ctx).Info("synced to vault", "vaultPath", p.cfg.Path, "written", p.written, "removed", p.removed, "secrets", p.names)
}

func (r *Reconciler) clusterPrefix() string {
	if r.ClusterName == "" {
		return ""
	}
	return "clusters/" + r.ClusterName
}

// newLocations returns the locations of want that have not been recorded.
func newLocations(recorded, want []vault.Location) []vault.Location {
	var out []vault.Location
	for _, l := range want {
		if !slices.Contains(recorded, l) {
			out = append(out, l)
		}
	}
	return out
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sameData(cur map[string]any, want map[string]string) bool {
	if len(cur) != len(want) {
		return false
	}
	for k, v := range want {
		if s, ok := cur[k].(string); !ok || s != v {
			return false
		}
	}
	return true
}
