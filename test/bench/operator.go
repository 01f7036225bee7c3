package main

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
type operatorProc struct {
	cmd         *exec.Cmd
	metricsAddr string
	pprofAddr   string
}

// buildOperator builds the binary as `make build` does.
func buildOperator(r *rig.Rig, root string) (string, error) {
	bin := filepath.Join(r.Dir, "vault-sync-operator")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/vault-sync-operator")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build operator: %v\n%s", err, out)
	}
	return bin, nil
}

func startOperator(ctx context.Context, r *rig.Rig, bin string, extra ...string) (*operatorProc, error) {
	p := &operatorProc{metricsAddr: freeAddr(), pprofAddr: freeAddr()}
	args := append([]string{
		"--kubeconfig=" + r.Kubeconfig,
		"--vault-addr=" + r.Vault.Addr,
		"--vault-service-account=" + rig.OperatorNamespace + "/" + rig.OperatorServiceAccount,
		"--metrics-bind-address=" + p.metricsAddr,
		"--health-probe-bind-address=" + freeAddr(),
		"--pprof-bind-address=" + p.pprofAddr,
		"--zap-log-level=error",
	}, extra...)
	p.cmd = exec.CommandContext(ctx, bin, args...)
	logf, err := os.Create(filepath.Join(r.Dir, "operator.log"))
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// saveProfile writes a pprof profile ("heap", or "profile?seconds=N" for CPU) to path.
func (p *operatorProc) saveProfile(kind, path string) error {
	resp, err := http.Get("http://" + p.pprofAddr + "/debug/pprof/" + kind)
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

func (p *operatorProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

// memory returns the current and peak resident set size in MiB.
func (p *operatorProc) memory() (rss, peak float64) {
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

// metrics is one scrape of the operator's metrics endpoint.
type metrics map[string]*dto.MetricFamily

func (p *operatorProc) scrape() (metrics, error) {
	resp, err := http.Get("http://" + p.metricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// sum adds the samples of a metric whose labels match every given pair
// (a value of "*" matches anything; a list "A|B" matches either).
func (m metrics) sum(name string, labels ...string) float64 {
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

// traffic is what the operator sent, from its own instrumentation.
type traffic struct {
	VaultLogin, VaultRead, VaultWrite, VaultDelete, VaultMount, VaultRenew float64
	KubeGet, KubeList, KubeWrite, KubeEvents                               float64
}

func (m metrics) traffic() traffic {
	return traffic{
		VaultLogin:  m.sum("vault_sync_operator_vault_requests_total", "kind", "login"),
		VaultRead:   m.sum("vault_sync_operator_vault_requests_total", "kind", "read"),
		VaultWrite:  m.sum("vault_sync_operator_vault_requests_total", "kind", "write"),
		VaultDelete: m.sum("vault_sync_operator_vault_requests_total", "kind", "delete"),
		VaultMount:  m.sum("vault_sync_operator_vault_requests_total", "kind", "mount_lookup"),
		VaultRenew:  m.sum("vault_sync_operator_vault_requests_total", "kind", "renew"),
		KubeGet:     m.sum("vault_sync_operator_kube_requests_total", "verb", "get"),
		KubeList:    m.sum("vault_sync_operator_kube_requests_total", "verb", "list"),
		KubeWrite:   m.sum("vault_sync_operator_kube_requests_total", "verb", "create|update|patch|delete", "resource", "deployments|secrets|services|servicemonitors|vaultapps/status"),
		KubeEvents:  m.sum("vault_sync_operator_kube_requests_total", "verb", "create|patch", "resource", "events"),
	}
}

func (t traffic) minus(o traffic) traffic {
	return traffic{t.VaultLogin - o.VaultLogin, t.VaultRead - o.VaultRead, t.VaultWrite - o.VaultWrite,
		t.VaultDelete - o.VaultDelete, t.VaultMount - o.VaultMount, t.VaultRenew - o.VaultRenew,
		t.KubeGet - o.KubeGet, t.KubeList - o.KubeList, t.KubeWrite - o.KubeWrite, t.KubeEvents - o.KubeEvents}
}

func freeAddr() string {
	l, err := netListen()
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}
