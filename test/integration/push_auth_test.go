package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/pushsync"
	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// TestPushWithAWrongRoleReportsTheAuthFailure runs the push reconciler with
// a Vault session for a role that rejects the operator, against the real
// apiserver and Vault.
func TestPushWithAWrongRoleReportsTheAuthFailure(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("wrongrole")
	env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
	dep := e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds")
	// Not annotated for the running operator's attention: reconciled by hand below.
	dep.Annotations = map[string]string{}
	env.Create(dep)
	dep.Annotations = map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}

	// A role that exists but does not bind the operator's service account.
	Expect(env.Vault.WriteKubernetesRole(context.Background(), "kubernetes", "binds-someone-else", rig.KubernetesRole{
		ServiceAccountNames: []string{"someone-else"}, Namespaces: []string{rig.OperatorNamespace},
		Policies: []string{rig.OperatorPolicyName}, TTL: time.Hour})).To(Succeed())
	session, _ := newPool(t, "binds-someone-else")
	authFailed := op.Metric("vault_sync_operator_vault_write_errors_total", "error_type", "auth_failed")
	before := authFailed()
	events, err := env.ReconcilePush(context.Background(), dep, e2e.PushReconcile{Vault: session})
	Expect(err).To(MatchError(HavePrefix("failed to authenticate with vault: permission denied")))
	Expect(<-events).To(HavePrefix("Warning AuthFailed failed to authenticate with vault: permission denied"))
	Expect(authFailed()).To(Equal(before + 1))
	Expect(env.ReadKV("secret/data/" + ns + "/creds")).To(BeNil())
}

// TestPushWithAClusterNamePrefixesPaths runs the push reconciler as an
// operator started with --cluster-name=prod would.
func TestPushWithAClusterNamePrefixesPaths(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("cluster")
	env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
	dep := e2e.NewDeployment(ns, "app", map[string]string{pushsync.AnnotationPath: "secret/data/" + ns}, "creds")

	session, _ := newPool(t, rig.OperatorRole)
	_, err := env.ReconcilePush(context.Background(), dep, e2e.PushReconcile{Vault: session, ClusterName: "prod"})
	Expect(err).NotTo(HaveOccurred())
	Expect(env.ReadKV("secret/data/clusters/prod/" + ns + "/creds")).To(Equal(map[string]any{"k": "v"}))
	Expect(env.ReadKV("secret/data/" + ns + "/creds")).To(BeNil())
	Expect(customMetadata("secret/metadata/clusters/prod/" + ns + "/creds")).To(HaveKeyWithValue(vault.MetaOwner, "prod/"+ns+"/Deployment/app"))
}

// TestPushPathPolicy: with --allowed-vault-paths=secret/data/{{namespace}}/*
// a Deployment can write under its namespace's prefix and nowhere else.
func TestPushPathPolicy(t *testing.T) {
	RegisterTestingT(t)
	ns := env.Namespace("policy")
	env.Create(e2e.NewSecret(ns, "creds", "k", "v"))
	session, _ := newPool(t, rig.OperatorRole)
	reconcile := func(path string) (<-chan string, error) {
		dep := e2e.NewDeployment(ns, "app-"+strings.ReplaceAll(path, "/", "-"), map[string]string{pushsync.AnnotationPath: path}, "creds")
		return env.ReconcilePush(context.Background(), dep, e2e.PushReconcile{Vault: session,
			AllowedVaultPaths: []string{"secret/data/{{namespace}}/*"}})
	}
	denials := op.Metric("vault_sync_operator_policy_denials_total", "kind", "path")
	before := denials()
	events, err := reconcile("secret/data/victim-team/db")
	Expect(err).To(MatchError(ContainSubstring(`vault path "secret/data/victim-team/db/creds" (write) is not allowed for namespace ` + ns)))
	Expect(<-events).To(HavePrefix("Warning PathNotAllowed"))
	Expect(env.ReadKV("secret/data/victim-team/db/creds")).To(BeNil())
	Expect(denials()).To(Equal(before + 1))

	_, err = reconcile("secret/data/" + ns + "/db")
	Expect(err).NotTo(HaveOccurred())
	Expect(env.ReadKV("secret/data/" + ns + "/db/creds")).To(Equal(map[string]any{"k": "v"}))
}

// kvOf makes one Vault client act for every Deployment.
func kvOf(c *vault.Client) func(*appsv1.Deployment) vault.KVStore {
	return func(*appsv1.Deployment) vault.KVStore { return c }
}
