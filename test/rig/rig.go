package rig

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// The operator's identity in the rig, as a user would set it up.
const (
	OperatorNamespace      = "vault-sync-system"
	OperatorServiceAccount = "vault-sync-operator"
	OperatorRole           = "vault-sync-operator"
	OperatorPolicyName     = "vault-sync-operator"
)

// OperatorPolicy is the operator's Vault policy in the rig: full KV access
// on the test mounts and the mount-table look-up.
const OperatorPolicy = `
path "secret/*" { capabilities = ["create", "read", "update", "delete", "list", "patch"] }
path "kv/*"     { capabilities = ["create", "read", "update", "delete", "list", "patch"] }
path "kv1/*"    { capabilities = ["create", "read", "update", "delete", "list", "patch"] }
path "sys/internal/ui/mounts/*" { capabilities = ["read"] }
`

// Options configure Start.
type Options struct {
	// CRDDirectoryPaths are installed into the apiserver before Start returns.
	CRDDirectoryPaths []string
	// Logf reports progress (optional).
	Logf func(format string, args ...any)
	// WithCluster adds kube-controller-manager, kube-scheduler and a
	// KWOK-simulated node, so Deployments get ReplicaSets and Ready pods and
	// the garbage collector runs. Without it (faster) only the apiserver runs.
	WithCluster bool
	// VaultTLS runs Vault with TLS (a generated CA in Vault.CACert).
	VaultTLS bool
}

// Rig is a running apiserver+etcd and Vault.
type Rig struct {
	RestConfig *rest.Config
	// Kubeconfig is an admin kubeconfig file (for kubectl and the sandbox).
	Kubeconfig string
	Client     client.Client
	Clientset  kubernetes.Interface
	Vault      *Vault
	Binaries   Binaries
	Dir        string
	// CAFile is the apiserver's CA (PEM), ReviewerJWT a token of a
	// ServiceAccount bound to system:auth-delegator: what Vault's Kubernetes
	// auth method is configured with.
	CAFile      string
	ReviewerJWT string
	// ClusterStartup is how long the whole-cluster processes took to be ready.
	ClusterStartup time.Duration

	env      *envtest.Environment
	cluster  cluster
	stopOnce sync.Once
}

// Scheme of the rig's admin client.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	utilruntime.Must(appv1alpha1.AddToScheme(s))
	utilruntime.Must(monitoringv1.AddToScheme(s))
	return s
}

// Start brings the rig up: apiserver+etcd, Vault, Kubernetes auth and the
// operator's identity. Stop it with Stop.
func Start(ctx context.Context, opts Options) (_ *Rig, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bins, err := findBinaries("kube", "etcd", "vault")
	if err != nil {
		return nil, fmt.Errorf("rig binaries: %w", err)
	}
	dir, err := os.MkdirTemp("", "vault-sync-rig-")
	if err != nil {
		return nil, err
	}
	r := &Rig{Binaries: bins, Dir: dir}
	defer func() {
		if err != nil {
			r.Stop()
		}
	}()

	start := time.Now()
	wrapped := filepath.Join(dir, "bin")
	apiserver, err := diesWithParent(wrapped, bins.KubeAPIServer)
	if err != nil {
		return nil, err
	}
	etcd, err := diesWithParent(wrapped, bins.Etcd)
	if err != nil {
		return nil, err
	}
	r.env = &envtest.Environment{
		CRDDirectoryPaths:     opts.CRDDirectoryPaths,
		ErrorIfCRDPathMissing: true,
		ControlPlane: envtest.ControlPlane{
			APIServer:   &envtest.APIServer{Path: apiserver},
			Etcd:        &envtest.Etcd{Path: etcd},
			KubectlPath: bins.Kubectl,
		},
	}
	if r.RestConfig, err = r.env.Start(); err != nil {
		return nil, fmt.Errorf("start kube-apiserver and etcd: %w", err)
	}
	logf("apiserver+etcd up in %s at %s", time.Since(start).Round(time.Millisecond), r.RestConfig.Host)
	if r.Client, err = client.New(r.RestConfig, client.Options{Scheme: Scheme()}); err != nil {
		return nil, err
	}
	if r.Clientset, err = kubernetes.NewForConfig(r.RestConfig); err != nil {
		return nil, err
	}
	if err = r.writeKubeconfig(); err != nil {
		return nil, err
	}

	vstart := time.Now()
	if r.Vault, err = startVault(ctx, bins.Vault, dir, opts.VaultTLS); err != nil {
		return nil, err
	}
	if err = r.configureVault(ctx); err != nil {
		return nil, fmt.Errorf("configure vault: %w", err)
	}
	logf("vault up and configured in %s at %s (proxy %s)", time.Since(vstart).Round(time.Millisecond), r.Vault.DirectAddr, r.Vault.Addr)
	if opts.WithCluster {
		if err = r.startCluster(ctx, logf); err != nil {
			return nil, fmt.Errorf("whole-cluster rig: %w", err)
		}
	}
	return r, nil
}

func (r *Rig) writeKubeconfig() error {
	user, err := r.env.AddUser(envtest.User{Name: "rig-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return err
	}
	r.Kubeconfig = filepath.Join(r.Dir, "kubeconfig")
	return os.WriteFile(r.Kubeconfig, kc, 0o600)
}

// configureVault mounts the test KV engines and configures Kubernetes auth
// against the rig's apiserver with a token reviewer, the way a user would.
func (r *Rig) configureVault(ctx context.Context) error {
	v := r.Vault
	if err := v.EnableKV(ctx, "kv", 2); err != nil {
		return err
	}
	if err := v.EnableKV(ctx, "kv1", 1); err != nil {
		return err
	}
	if err := v.Root.Sys().EnableAuthWithOptionsWithContext(ctx, "kubernetes", &vaultapiEnableAuth); err != nil {
		return err
	}
	if err := r.ensureServiceAccount(ctx, "vault-system", "vault-token-reviewer"); err != nil {
		return err
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "vault-token-reviewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:auth-delegator"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "vault-system", Name: "vault-token-reviewer"}},
	}
	if err := r.Client.Create(ctx, crb); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	reviewer, err := r.ServiceAccountToken(ctx, "vault-system", "vault-token-reviewer", nil, 24*time.Hour)
	if err != nil {
		return err
	}
	r.ReviewerJWT = reviewer
	ca := r.RestConfig.CAData
	r.CAFile = filepath.Join(r.Dir, "apiserver-ca.pem")
	if err := os.WriteFile(r.CAFile, ca, 0o600); err != nil {
		return err
	}
	if len(ca) == 0 {
		return errors.New("apiserver CA is empty")
	}
	if blk, _ := pem.Decode(ca); blk == nil {
		return errors.New("apiserver CA is not PEM")
	}
	if _, err := v.Root.Logical().WriteWithContext(ctx, "auth/kubernetes/config", map[string]any{
		"kubernetes_host":      r.RestConfig.Host,
		"kubernetes_ca_cert":   string(ca),
		"token_reviewer_jwt":   reviewer,
		"disable_local_ca_jwt": true,
	}); err != nil {
		return err
	}
	if err := r.ensureServiceAccount(ctx, OperatorNamespace, OperatorServiceAccount); err != nil {
		return err
	}
	if err := v.WritePolicy(ctx, OperatorPolicyName, OperatorPolicy); err != nil {
		return err
	}
	return v.WriteKubernetesRole(ctx, "kubernetes", OperatorRole, KubernetesRole{
		ServiceAccountNames: []string{OperatorServiceAccount}, Namespaces: []string{OperatorNamespace},
		Policies: []string{OperatorPolicyName}, TTL: time.Hour,
	})
}

// EnsureNamespace creates a namespace if it does not exist.
func (r *Rig) EnsureNamespace(ctx context.Context, name string) error {
	err := r.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (r *Rig) ensureServiceAccount(ctx context.Context, ns, name string) error {
	if err := r.EnsureNamespace(ctx, ns); err != nil {
		return err
	}
	err := r.Client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// ServiceAccountToken returns a TokenRequest token for ns/name (created if
// missing) with the given audiences (nil: the apiserver's) and lifetime.
func (r *Rig) ServiceAccountToken(ctx context.Context, ns, name string, audiences []string, ttl time.Duration) (string, error) {
	if err := r.ensureServiceAccount(ctx, ns, name); err != nil {
		return "", err
	}
	secs := int64(ttl.Seconds())
	tr, err := r.Clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}

// Stop tears everything down. Safe to call more than once.
func (r *Rig) Stop() error {
	var err error
	r.stopOnce.Do(func() {
		r.cluster.stop()
		if r.Vault != nil {
			r.Vault.stop()
		}
		if r.env != nil {
			err = r.env.Stop()
		}
		if r.Dir != "" {
			os.RemoveAll(r.Dir)
		}
	})
	return err
}

func objKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
