package e2e

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/controller/push"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretwatch"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// PushRecordOf is what push sync recorded on d (annotation
// vault-sync.io/state): the hash of what it wrote and the Vault locations.
func PushRecordOf(d *appsv1.Deployment) pushsync.State {
	s, _ := pushsync.ReadState(d.Annotations)
	return s
}

// PushRecord is PushRecordOf Deployment ns/name (empty when it does not exist).
func (e *Env) PushRecord(ns, name string) pushsync.State {
	d := Get(e.Client, ns, name, &appsv1.Deployment{})
	if d == nil {
		return pushsync.State{}
	}
	return PushRecordOf(d)
}

// PushReconcile configures one run of the push reconciler as the
// operator's flags would.
type PushReconcile struct {
	// Vault is the client it writes with (e.g. a pool's Operator()).
	Vault *vault.Client
	// ClusterName is --cluster-name.
	ClusterName string
	// AllowedVaultPaths is --allowed-vault-paths; empty grants every path.
	AllowedVaultPaths []string
}

// ReconcilePush runs the push reconciler once on dep, outside the running
// operator: dep is kept in memory (read and patched there, never in the
// API server, so the suite's operator does not race the reconciler over
// it), Secrets are read from the API server and writes go to Vault. It
// returns the events recorded (buffered, 10 at most) and the reconcile's error.
func (e *Env) ReconcilePush(ctx context.Context, dep *appsv1.Deployment, p PushReconcile) (<-chan string, error) {
	paths := p.AllowedVaultPaths
	if len(paths) == 0 {
		paths = []string{"*"}
	}
	grants, err := policy.FromFlags(paths, nil)
	if err != nil {
		return nil, err
	}
	raw, err := mac.GenerateKey()
	if err != nil {
		return nil, err
	}
	key, _ := mac.NewKey(raw)
	rec := record.NewFakeRecorder(10)
	r := &push.Reconciler{Client: fixedDeployment{e.Client, dep}, Secrets: e.Client,
		Vault:   func(*appsv1.Deployment) vault.KVStore { return p.Vault },
		Tracker: secretwatch.New(nil, ""), Events: kube.Events{Recorder: rec}, ClusterName: p.ClusterName,
		Policy: &policy.Policy{Enforce: true, Static: grants, Cluster: p.ClusterName}, Key: key}
	_, err = r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(dep)})
	return rec.Events, err
}

// fixedDeployment keeps one Deployment in memory (Get and Patch);
// everything else goes to the real API server.
type fixedDeployment struct {
	client.Client
	dep *appsv1.Deployment
}

func (f fixedDeployment) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if d, ok := obj.(*appsv1.Deployment); ok && key == client.ObjectKeyFromObject(f.dep) {
		f.dep.DeepCopyInto(d)
		return nil
	}
	return f.Client.Get(ctx, key, obj, opts...)
}

func (f fixedDeployment) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if d, ok := obj.(*appsv1.Deployment); ok && client.ObjectKeyFromObject(d) == client.ObjectKeyFromObject(f.dep) {
		d.DeepCopyInto(f.dep)
		return nil
	}
	return f.Client.Patch(ctx, obj, patch, opts...)
}
