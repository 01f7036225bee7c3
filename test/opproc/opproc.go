// Package opproc runs the operator binary as its own process against the
// rig, the way it runs in a cluster: for the benchmark (memory, metrics) and
// for tests that restart or kill it.
package opproc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// operatorProc is the operator binary running against the rig, as it runs
// in a cluster (its own process, so its memory can be measured).
type Proc struct {
	cmd         *exec.Cmd
	MetricsAddr string
	PprofAddr   string
	ProbeAddr   string
}

// Build builds the binary as `make build` does.
func Build(r *rig.Rig, root string) (string, error) {
	bin := filepath.Join(r.Dir, "vault-sync-operator")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/vault-sync-operator")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build operator: %v\n%s", err, out)
	}
	return bin, nil
}

// Start runs the binary against the rig; env entries (e.g. "GOMEMLIMIT=90MiB")
// are added to the process's environment.
func Start(ctx context.Context, r *rig.Rig, bin string, env []string, extra ...string) (*Proc, error) {
	p := &Proc{MetricsAddr: rig.FreeAddr(), PprofAddr: rig.FreeAddr(), ProbeAddr: rig.FreeAddr()}
	args := append([]string{
		"--kubeconfig=" + r.Kubeconfig,
		"--vault-addr=" + r.Vault.Addr,
		"--vault-service-account=" + rig.OperatorNamespace + "/" + rig.OperatorServiceAccount,
		"--metrics-bind-address=" + p.MetricsAddr,
		"--health-probe-bind-address=" + p.ProbeAddr,
		"--pprof-bind-address=" + p.PprofAddr,
		"--zap-log-level=error",
	}, extra...)
	p.cmd = exec.CommandContext(ctx, bin, args...)
	logf, err := os.OpenFile(filepath.Join(r.Dir, "operator.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// SaveProfile writes a pprof profile ("heap", or "profile?seconds=N" for CPU) to path.
func (p *Proc) SaveProfile(kind, path string) error {
	resp, err := http.Get("http://" + p.PprofAddr + "/debug/pprof/" + kind)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// Signal sends sig to the process (e.g. SIGKILL to simulate a crash).
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

func (p *Proc) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

// Memory returns the current and peak resident set size in MiB.
func (p *Proc) Memory() (rss, peak float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

// Metrics is one scrape of the operator's metrics endpoint.
type Metrics map[string]*dto.MetricFamily

func (p *Proc) Scrape() (Metrics, error) {
	resp, err := http.Get("http://" + p.MetricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// Sum adds the samples of a metric whose labels match every given pair
// (a value of "*" matches anything; a list "A|B" matches either).
func (m Metrics) Sum(name string, labels ...string) float64 {
	mf := m[name]
	if mf == nil {
		return 0
	}
	var total float64
outer:
	for _, s := range mf.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			v := ""
			for _, lp := range s.Label {
				if lp.GetName() == labels[i] {
					v = lp.GetValue()
				}
			}
			if labels[i+1] != "*" && !contains(strings.Split(labels[i+1], "|"), v) {
				continue outer
			}
		}
		switch {
		case s.Counter != nil:
			total += s.Counter.GetValue()
		case s.Gauge != nil:
			total += s.Gauge.GetValue()
		}
	}
	return total
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Traffic is what the operator sent, from its own instrumentation.
type Traffic struct {
	VaultLogin, VaultRead, VaultWrite, VaultDelete, VaultMount, VaultRenew float64
	KubeGet, KubeList, KubeWrite, KubeEvents                               float64
}

func (m Metrics) Traffic() Traffic {
	return Traffic{
		VaultLogin:  m.Sum("vault_sync_operator_vault_requests_total", "kind", "login"),
		VaultRead:   m.Sum("vault_sync_operator_vault_requests_total", "kind", "read"),
		VaultWrite:  m.Sum("vault_sync_operator_vault_requests_total", "kind", "write"),
		VaultDelete: m.Sum("vault_sync_operator_vault_requests_total", "kind", "delete"),
		VaultMount:  m.Sum("vault_sync_operator_vault_requests_total", "kind", "mount_lookup"),
		VaultRenew:  m.Sum("vault_sync_operator_vault_requests_total", "kind", "renew"),
		KubeGet:     m.Sum("vault_sync_operator_kube_requests_total", "verb", "get"),
		KubeList:    m.Sum("vault_sync_operator_kube_requests_total", "verb", "list"),
		KubeWrite:   m.Sum("vault_sync_operator_kube_requests_total", "verb", "create|update|patch|delete", "resource", "deployments|secrets|services|servicemonitors|vaultapps/status"),
		KubeEvents:  m.Sum("vault_sync_operator_kube_requests_total", "verb", "create|patch", "resource", "events"),
	}
}

func (t Traffic) Minus(o Traffic) Traffic {
	return Traffic{t.VaultLogin - o.VaultLogin, t.VaultRead - o.VaultRead, t.VaultWrite - o.VaultWrite,
		t.VaultDelete - o.VaultDelete, t.VaultMount - o.VaultMount, t.VaultRenew - o.VaultRenew,
		t.KubeGet - o.KubeGet, t.KubeList - o.KubeList, t.KubeWrite - o.KubeWrite, t.KubeEvents - o.KubeEvents}
}
