package rig

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	authk8s "github.com/hashicorp/vault/api/auth/kubernetes"
)

// TestRig checks what every other test relies on: a Kubernetes login to
// Vault works, KV v1 and v2 are mounted, the proxy can take Vault away, and
// Stop leaves no process behind.
func TestRig(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	r, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rig started in %s", time.Since(start))
	defer r.Stop()

	jwt, err := r.ServiceAccountToken(ctx, OperatorNamespace, OperatorServiceAccount, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfg := vaultapi.DefaultConfig()
	cfg.Address = r.Vault.Addr
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.ClearToken()
	method, _ := authk8s.NewKubernetesAuth(OperatorRole, authk8s.WithServiceAccountToken(jwt))
	if _, err := c.Auth().Login(ctx, method); err != nil {
		t.Fatalf("kubernetes login: %v", err)
	}
	if _, err := c.KVv2("secret").Put(ctx, "rig-check", map[string]any{"a": "b"}); err != nil {
		t.Fatalf("kv v2 write: %v", err)
	}
	if s, err := c.KVv2("secret").Get(ctx, "rig-check"); err != nil || s.Data["a"] != "b" {
		t.Fatalf("kv v2 read: %v %v", s, err)
	}
	m, err := c.Logical().Read("sys/internal/ui/mounts/kv1")
	if err != nil || m.Data["options"].(map[string]any)["version"] != "1" {
		t.Fatalf("kv1 mount: %v %v", m, err)
	}

	r.Vault.Proxy.SetDown(true)
	if _, err := c.Sys().Health(); err == nil {
		t.Fatal("vault still reachable through the proxy while down")
	}
	r.Vault.Proxy.SetDown(false)
	if _, err := c.Sys().Health(); err != nil {
		t.Fatalf("vault unreachable after the proxy is back: %v", err)
	}

	pid := r.Vault.Pid()
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(r.Dir); !os.IsNotExist(err) {
		t.Errorf("rig dir %s left behind", r.Dir)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("vault (pid %d) still running after Stop", pid)
	}
}
