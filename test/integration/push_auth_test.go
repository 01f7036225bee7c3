package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vault-sync-io/vault-sync-operator/internal/controller/push"
	"github.com/vault-sync-io/vault-sync-operator/internal/kube"
	"github.com/vault-sync-io/vault-sync-operator/internal/metrics"
	"github.com/vault-sync-io/vault-sync-operator/internal/policy"
	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/secretwatch"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// TestPushWithAWrongRoleReportsTheAuthFailure runs the push reconciler with
// a Vault session for a role that rejects the operator, against the real
// apiserver and Vault.
func TestPushWithAWrongRoleReportsTheAuthFailure(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "wrongrole")
	create(newSecret(ns, "creds", "k", "v"))
	dep := newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds")
	// Not annotated for the running operator's attention: reconciled by hand below.
	dep.Annotations = map[string]string{}
	create(dep)
	dep.Annotations = map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}

	// A role that exists but does not bind the operator's service account.
	Expect(testRig.Vault.WriteKubernetesRole(context.Background(), "kubernetes", "binds-someone-else", rig.KubernetesRole{
		ServiceAccountNames: []string{"someone-else"}, Namespaces: []string{rig.OperatorNamespace},
		Policies: []string{rig.OperatorPolicyName}, TTL: time.Hour})).To(Succeed())
	session, _ := newPool(t, "binds-someone-else")
	rec := record.NewFakeRecorder(10)
	r := &push.Reconciler{Client: fixedDeployment{testRig.Client, dep}, Secrets: testRig.Client, Vault: kvOf(session),
		Tracker: secretwatch.New(nil, ""), Events: kube.Events{Recorder: rec}}
	before := testutil.ToFloat64(metrics.VaultWriteErrors.WithLabelValues("auth_failed"))
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(dep)})
	Expect(err).To(MatchError(HavePrefix("failed to authenticate with vault: permission denied")))
	Expect(<-rec.Events).To(HavePrefix("Warning AuthFailed failed to authenticate with vault: permission denied"))
	Expect(testutil.ToFloat64(metrics.VaultWriteErrors.WithLabelValues("auth_failed"))).To(Equal(before + 1))
	Expect(vaultKV("secret/data/" + ns + "/creds")).To(BeNil())
}

// fixedDeployment keeps one Deployment in memory (Get and Patch), so a
// reconciler under test does not race the suite's running operator over
// it; everything else goes to the real API server.
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

// TestPushWithAClusterNamePrefixesPaths runs the push reconciler as an
// operator started with --cluster-name=prod would.
func TestPushWithAClusterNamePrefixesPaths(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "cluster")
	create(newSecret(ns, "creds", "k", "v"))
	dep := newDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds")

	session, _ := newPool(t, rig.OperatorRole)
	rec := record.NewFakeRecorder(10)
	r := &push.Reconciler{Client: fixedDeployment{testRig.Client, dep}, Secrets: testRig.Client, Vault: kvOf(session),
		Tracker: secretwatch.New(nil, ""), Events: kube.Events{Recorder: rec}, ClusterName: "prod"}
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(dep)})
	Expect(err).NotTo(HaveOccurred())
	Expect(vaultKV("secret/data/clusters/prod/" + ns + "/creds")).To(Equal(map[string]any{"k": "v"}))
	Expect(vaultKV("secret/data/" + ns + "/creds")).To(BeNil())
	Expect(customMetadata("secret/metadata/clusters/prod/" + ns + "/creds")).To(HaveKeyWithValue(vault.MetaOwner, "prod/"+ns+"/Deployment/app"))
}

// TestPushPathPolicy: with --allowed-vault-paths=secret/data/{{namespace}}/*
// a Deployment can write under its namespace's prefix and nowhere else.
func TestPushPathPolicy(t *testing.T) {
	RegisterTestingT(t)
	ns := newNamespace(t, "policy")
	create(newSecret(ns, "creds", "k", "v"))
	pol, err := policy.New([]string{"secret/data/{{namespace}}/*"}, nil)
	Expect(err).NotTo(HaveOccurred())
	session, _ := newPool(t, rig.OperatorRole)
	reconcile := func(path string) (*record.FakeRecorder, error) {
		dep := newDeployment(ns, "app-"+strings.ReplaceAll(path, "/", "-"), map[string]string{pushsync.AnnotationPath: path}, "creds")
		rec := record.NewFakeRecorder(10)
		r := &push.Reconciler{Client: fixedDeployment{testRig.Client, dep}, Secrets: testRig.Client, Vault: kvOf(session),
			Tracker: secretwatch.New(nil, ""), Events: kube.Events{Recorder: rec}, Policy: pol}
		_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(dep)})
		return rec, err
	}
	before := testutil.ToFloat64(metrics.PolicyDenials.WithLabelValues("path"))
	rec, err := reconcile("secret/data/victim-team/db")
	Expect(err).To(MatchError(ContainSubstring(`vault path "secret/data/victim-team/db/creds" is not allowed for namespace ` + ns)))
	Expect(<-rec.Events).To(HavePrefix("Warning PathNotAllowed"))
	Expect(vaultKV("secret/data/victim-team/db/creds")).To(BeNil())
	Expect(testutil.ToFloat64(metrics.PolicyDenials.WithLabelValues("path"))).To(Equal(before + 1))

	_, err = reconcile("secret/data/" + ns + "/db")
	Expect(err).NotTo(HaveOccurred())
	Expect(vaultKV("secret/data/" + ns + "/db/creds")).To(Equal(map[string]any{"k": "v"}))
}

// kvOf makes one Vault client act for every Deployment.
func kvOf(c *vault.Client) func(*appsv1.Deployment) vault.KVStore {
	return func(*appsv1.Deployment) vault.KVStore { return c }
}
