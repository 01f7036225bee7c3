package rig

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// Vault is a Vault dev server (in-memory, unsealed, root token "root")
// reached by clients through a fault-injecting Proxy.
type Vault struct {
	// Addr is what the operator uses: the proxy ("http://127.0.0.1:PORT").
	Addr string
	// DirectAddr is the server itself.
	DirectAddr string
	RootToken  string
	// Root is a root-token client talking to DirectAddr.
	Root  *vaultapi.Client
	Proxy *Proxy

	cmd     *exec.Cmd
	LogFile string
	// CACert is the PEM file of the CA that signed the server's certificate
	// when the rig runs Vault with TLS (Options.VaultTLS); empty otherwise.
	CACert string
}

func startVault(ctx context.Context, bin, dir string, tls bool) (*Vault, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	scheme := "http"
	args := []string{"server", "-dev", "-dev-root-token-id=root", "-dev-no-store-token", fmt.Sprintf("-dev-listen-address=127.0.0.1:%d", port)}
	if tls {
		// Vault generates a CA and a server certificate for 127.0.0.1.
		scheme = "https"
		certDir := filepath.Join(dir, "vault-tls")
		if err := os.MkdirAll(certDir, 0o700); err != nil {
			return nil, err
		}
		args = append(args, "-dev-tls", "-dev-tls-cert-dir="+certDir, "-dev-tls-san=127.0.0.1")
	}
	v := &Vault{DirectAddr: fmt.Sprintf("%s://127.0.0.1:%d", scheme, port), RootToken: "root", LogFile: filepath.Join(dir, "vault.log")}
	if tls {
		v.CACert = filepath.Join(dir, "vault-tls", "vault-ca.pem")
	}
	logf, err := os.Create(v.LogFile)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	v.cmd = exec.Command(bin, args...)
	v.cmd.Stdout, v.cmd.Stderr = logf, logf
	v.cmd.Env = childEnv(dir)
	v.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := v.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start vault: %w", err)
	}
	cfg := vaultapi.DefaultConfig()
	cfg.Address = v.DirectAddr
	if tls {
		// The CA file appears once the server has started.
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(v.CACert); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := cfg.ConfigureTLS(&vaultapi.TLSConfig{CACert: v.CACert}); err != nil {
			v.stop()
			return nil, fmt.Errorf("vault CA: %w", err)
		}
	}
	if v.Root, err = vaultapi.NewClient(cfg); err != nil {
		v.stop()
		return nil, err
	}
	v.Root.SetToken(v.RootToken)
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := v.Root.Sys().HealthWithContext(ctx)
		if err == nil && h.Initialized && !h.Sealed {
			break
		}
		if time.Now().After(deadline) {
			v.stop()
			return nil, fmt.Errorf("vault did not become healthy in 30s (log: %s): %v", v.LogFile, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v.Proxy, err = newProxy(fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		v.stop()
		return nil, err
	}
	v.Addr = scheme + "://" + v.Proxy.Addr()
	return v, nil
}

// childEnv is the environment of rig processes: no VAULT_* settings of the
// developer's shell, and a private HOME.
func childEnv(home string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "VAULT_") && !strings.HasPrefix(e, "HOME=") {
			env = append(env, e)
		}
	}
	return append(env, "HOME="+home)
}

func (v *Vault) stop() {
	if v.Proxy != nil {
		v.Proxy.close()
	}
	if v.cmd != nil && v.cmd.Process != nil {
		_ = syscall.Kill(-v.cmd.Process.Pid, syscall.SIGKILL)
		_ = v.cmd.Wait()
	}
}

// UnsealKey returns the dev server's unseal key (printed in its log), for
// tests that seal and unseal Vault.
func (v *Vault) UnsealKey() (string, error) {
	b, err := os.ReadFile(v.LogFile)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, ok := strings.CutPrefix(strings.TrimSpace(line), "Unseal Key: "); ok {
			return strings.TrimSpace(k), nil
		}
	}
	return "", fmt.Errorf("no unseal key in %s", v.LogFile)
}

// Pid is the Vault server's process id.
func (v *Vault) Pid() int { return v.cmd.Process.Pid }

// WritePolicy creates or replaces an ACL policy.
func (v *Vault) WritePolicy(ctx context.Context, name, hcl string) error {
	return v.Root.Sys().PutPolicyWithContext(ctx, name, hcl)
}

// KubernetesRole is a role of the Kubernetes auth method.
type KubernetesRole struct {
	ServiceAccountNames, Namespaces, Policies []string
	TTL, MaxTTL                               time.Duration
	Audience                                  string
}

// WriteKubernetesRole creates or replaces role at auth/<mount>.
func (v *Vault) WriteKubernetesRole(ctx context.Context, mount, role string, r KubernetesRole) error {
	data := map[string]any{
		"bound_service_account_names":      r.ServiceAccountNames,
		"bound_service_account_namespaces": r.Namespaces,
		"token_policies":                   r.Policies,
	}
	if r.TTL > 0 {
		data["token_ttl"] = int(r.TTL.Seconds())
	}
	if r.MaxTTL > 0 {
		data["token_max_ttl"] = int(r.MaxTTL.Seconds())
	}
	if r.Audience != "" {
		data["audience"] = r.Audience
	}
	_, err := v.Root.Logical().WriteWithContext(ctx, "auth/"+mount+"/role/"+role, data)
	return err
}

// PutKV writes a KV v2 secret as root; path is the API path
// ("kv/data/billing/database").
func (v *Vault) PutKV(ctx context.Context, path string, data map[string]any) error {
	_, err := v.Root.Logical().WriteWithContext(ctx, path, map[string]any{"data": data})
	return err
}

// EnableKV mounts a KV engine of the given version at mount (idempotent).
func (v *Vault) EnableKV(ctx context.Context, mount string, version int) error {
	mounts, err := v.Root.Sys().ListMountsWithContext(ctx)
	if err != nil {
		return err
	}
	if _, ok := mounts[mount+"/"]; ok {
		return nil
	}
	return v.Root.Sys().MountWithContext(ctx, mount, &vaultapi.MountInput{Type: "kv",
		Options: map[string]string{"version": fmt.Sprint(version)}})
}

// FreeAddr returns a free loopback host:port (for an operator's metrics
// and probe listeners).
func FreeAddr() string {
	port, err := freePort()
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var vaultapiEnableAuth = vaultapi.EnableAuthOptions{Type: "kubernetes"}

// TokenAccessors lists the accessors of the live tokens Vault issued for a
// role of the Kubernetes auth method (as an administrator would find them).
func (v *Vault) TokenAccessors(ctx context.Context, role string) ([]string, error) {
	list, err := v.Root.Logical().ListWithContext(ctx, "auth/token/accessors")
	if err != nil || list == nil {
		return nil, err
	}
	var out []string
	for _, a := range list.Data["keys"].([]any) {
		acc, _ := a.(string)
		info, err := v.Root.Logical().WriteWithContext(ctx, "auth/token/lookup-accessor", map[string]any{"accessor": acc})
		if err != nil || info == nil {
			continue
		}
		path, _ := info.Data["path"].(string)
		if m, ok := info.Data["meta"].(map[string]any); ok && m["role"] == role && strings.HasPrefix(path, "auth/kubernetes/login") {
			out = append(out, acc)
		}
	}
	return out, nil
}
