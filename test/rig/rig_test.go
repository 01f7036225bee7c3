package rig

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	authk8s "github.com/hashicorp/vault/api/auth/kubernetes"
)

// rigProcesses are the programs Start runs as children of the test binary.
var rigProcesses = []string{"kube-apiserver", "etcd", "vault"}

// TestRig checks what every other test relies on: a Kubernetes login to
// Vault works, KV v1 and v2 are mounted, the admin kubeconfig works, the
// proxy can take Vault away, and Stop leaves no process or file behind.
func TestRig(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	r, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rig started in %s", time.Since(start).Round(time.Millisecond))
	defer r.Stop()
	kids := children(os.Getpid())
	for _, name := range rigProcesses {
		if !slices.ContainsFunc(kids, func(p proc) bool { return p.comm == name }) {
			t.Errorf("no %s child process; children: %v", name, kids)
		}
	}

	// Kubernetes login: Vault reviews the TokenRequest token with the
	// apiserver (TokenReview) through the reviewer's token.
	jwt, err := r.ServiceAccountToken(ctx, OperatorNamespace, OperatorServiceAccount, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfg := vaultapi.DefaultConfig()
	cfg.Address = r.Vault.Addr
	cfg.MaxRetries = 0
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.ClearToken()
	method, err := authk8s.NewKubernetesAuth(OperatorRole, authk8s.WithServiceAccountToken(jwt))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth().Login(ctx, method); err != nil {
		t.Fatalf("kubernetes login: %v", err)
	}
	if _, err := c.KVv2("secret").Put(ctx, "rig-check", map[string]any{"a": "b"}); err != nil {
		t.Fatalf("kv v2 write: %v", err)
	}
	if s, err := c.KVv2("secret").Get(ctx, "rig-check"); err != nil || s.Data["a"] != "b" {
		t.Fatalf("kv v2 read: %v %v", s, err)
	}
	for mount, want := range map[string]string{"kv1": "1", "kv": "2", "secret": "2"} {
		m, err := c.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+mount)
		if err != nil || m == nil {
			t.Fatalf("mount %s: %v", mount, err)
		}
		if opts, _ := m.Data["options"].(map[string]any); opts["version"] != want {
			t.Errorf("mount %s: options %v, want version %s", mount, m.Data["options"], want)
		}
	}

	// The admin kubeconfig works for kubectl (the sandbox hands it out).
	out, err := exec.CommandContext(ctx, r.Binaries.Kubectl, "--kubeconfig", r.Kubeconfig,
		"get", "serviceaccount", "-n", OperatorNamespace, OperatorServiceAccount, "-o", "name").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "serviceaccount/"+OperatorServiceAccount {
		t.Errorf("kubectl with %s: %v: %s", r.Kubeconfig, err, out)
	}

	// The proxy takes Vault away and gives it back.
	before := r.Vault.Proxy.Connections()
	r.Vault.Proxy.SetDown(true)
	if _, err := c.Sys().HealthWithContext(ctx); err == nil {
		t.Fatal("vault still reachable through the proxy while down")
	}
	r.Vault.Proxy.SetDown(false)
	if _, err := c.Sys().HealthWithContext(ctx); err != nil {
		t.Fatalf("vault unreachable after the proxy is back: %v", err)
	}
	if r.Vault.Proxy.Connections() <= before {
		t.Errorf("proxy counted no connections")
	}
	r.Vault.Proxy.SetLatency(300 * time.Millisecond)
	fcfg := vaultapi.DefaultConfig() // its own transport: a new connection
	fcfg.Address, fcfg.MaxRetries = r.Vault.Addr, 0
	fresh, err := vaultapi.NewClient(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := fresh.Sys().HealthWithContext(ctx); err != nil || time.Since(t0) < 300*time.Millisecond {
		t.Errorf("latency: health took %s (err %v), want >= 300ms", time.Since(t0), err)
	}
	r.Vault.Proxy.SetLatency(0)

	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(r.Dir); !os.IsNotExist(err) {
		t.Errorf("rig dir %s left behind", r.Dir)
	}
	for _, p := range kids {
		if alive(p.pid) {
			t.Errorf("%s (pid %d) still running after Stop", p.comm, p.pid)
		}
	}
}

// TestRigDiesWithItsProcess kills (SIGKILL, no deferred Stop) a test
// binary that started a rig, as go test's -timeout or an impatient user
// does, and checks that apiserver, etcd and Vault die with it.
func TestRigDiesWithItsProcess(t *testing.T) {
	if os.Getenv("VSO_RIG_HELPER") == "1" {
		helperStartAndHang()
		return
	}
	if testing.Short() {
		t.Skip("starts a second rig")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRigDiesWithItsProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "VSO_RIG_HELPER=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var kids []proc
	var dir string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "RIGDIR "); ok {
			dir = d
		}
		if line, ok := strings.CutPrefix(sc.Text(), "CHILDREN "); ok {
			for _, f := range strings.Fields(line) {
				name, pid, _ := strings.Cut(f, "=")
				n, _ := strconv.Atoi(pid)
				kids = append(kids, proc{pid: n, comm: name})
			}
			break
		}
	}
	if len(kids) == 0 {
		t.Fatal("helper reported no children")
	}
	defer os.RemoveAll(dir) // a killed rig cannot clean its temp dir
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range kids {
		for alive(p.pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(p.pid) {
			t.Errorf("%s (pid %d) outlived the killed test binary", p.comm, p.pid)
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		} else {
			t.Logf("%s (pid %d) died with its parent", p.comm, p.pid)
		}
	}
}

func helperStartAndHang() {
	r, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("RIGDIR " + r.Dir)
	var b strings.Builder
	for _, p := range children(os.Getpid()) {
		if slices.Contains(rigProcesses, p.comm) {
			fmt.Fprintf(&b, " %s=%d", p.comm, p.pid)
		}
	}
	fmt.Println("CHILDREN" + b.String())
	select {}
}

type proc struct {
	pid  int
	comm string
}

func (p proc) String() string { return fmt.Sprintf("%s=%d", p.comm, p.pid) }

// children lists the direct children of pid from /proc.
func children(pid int) []proc {
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, _, ppid, ok := stat(n)
		if ok && ppid == pid {
			out = append(out, proc{pid: n, comm: comm})
		}
	}
	return out
}

// alive reports whether pid exists and is not a zombie (an orphan's zombie
// lingers until init reaps it).
func alive(pid int) bool {
	_, state, _, ok := stat(pid)
	return ok && state != "Z" && state != "X"
}

func stat(pid int) (comm, state string, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", "", 0, false
	}
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return "", "", 0, false
	}
	f := strings.Fields(s[closing+1:])
	if len(f) < 2 {
		return "", "", 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return s[open+1 : closing], f[0], ppid, true
}
