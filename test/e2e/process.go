package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// stopGrace is how long Stop waits after SIGTERM before it kills.
const stopGrace = 10 * time.Second

// Launch says how to run the operator binary.
type Launch struct {
	// Args are flags after the rig's own (operatorArgs); they win.
	Args []string
	// Environ are extra environment variables, e.g. "GOMEMLIMIT=90MiB".
	Environ []string
}

// Process is the operator binary running against the rig as its own
// process, as it runs in a cluster: for tests that restart or kill it,
// leader election, and the benchmark (memory, profiles). Its output is
// appended to Env.OperatorLogPath.
type Process struct {
	endpoints
	env    *Env
	launch Launch
	cmd    *exec.Cmd
	exited chan struct{}
}

// binary is the operator built once per Env.
type binary struct {
	once sync.Once
	path string
	err  error
}

// OperatorBinary builds the operator as `make build` does, once per Env
// (StartProcess calls it; call it first to keep the build out of a timing).
func (e *Env) OperatorBinary() (string, error) {
	e.bin.once.Do(func() {
		e.bin.path = filepath.Join(e.Dir, "vault-sync-operator")
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", e.bin.path, "./cmd/vault-sync-operator")
		build.Dir = e.Root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			e.bin.err = fmt.Errorf("build operator: %v\n%s", err, out)
		}
	})
	return e.bin.path, e.bin.err
}

// StartProcess builds (once) and starts the operator binary with the
// rig's flags (operatorArgs: every listener on a free port, errors-only
// logging) followed by l.Args. It is stopped at Close.
func (e *Env) StartProcess(l Launch) (*Process, error) {
	p := &Process{env: e, launch: l}
	if err := p.start(); err != nil {
		return nil, err
	}
	e.OnClose(p.Stop)
	return p, nil
}

func (p *Process) start() error {
	bin, err := p.env.OperatorBinary()
	if err != nil {
		return err
	}
	l := endpoints{MetricsAddr: rig.FreeAddr(), PprofAddr: rig.FreeAddr(), ProbeAddr: rig.FreeAddr()}
	args := p.env.operatorArgs(l, append([]string{"--kubeconfig=" + p.env.Kubeconfig, "--zap-log-level=error"}, p.launch.Args...))
	o, err := ParseOperatorFlags(args)
	if err != nil {
		return fmt.Errorf("operator flags: %w", err)
	}
	p.endpoints = endpoints{MetricsAddr: o.MetricsAddr, ProbeAddr: o.ProbeAddr, PprofAddr: o.PprofAddr}
	logf, err := os.OpenFile(p.env.OperatorLogPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own descriptor
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = append(os.Environ(), p.launch.Environ...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(p.cmd, p.exited)
	return nil
}

// Stop ends the process gracefully (SIGTERM; SIGKILL after 10s) and
// waits for it. Safe to call more than once, and after Kill.
func (p *Process) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Kill ends the process with SIGKILL, as a crash or a lost node would (no
// graceful shutdown, no leader-lease release), and waits for it.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Restart stops the process and starts a new one with the same launch (a
// new process, a new Vault login), as a rollout of the operator or a
// leader change would. The new process listens on new ports.
func (p *Process) Restart() error {
	p.Stop()
	return p.start()
}

// Metrics scrapes the process's metrics endpoint.
func (p *Process) Metrics() (Metrics, error) { return Scrape(p.MetricsAddr) }

// Metric returns a poller of the sum of a metric's samples whose labels
// match (see Metrics.Sum); -1 when the endpoint cannot be scraped.
func (p *Process) Metric(name string, labels ...string) func() float64 {
	return metricPoller(p.Metrics, name, labels)
}

// IsLeader tells whether the process holds the leader-election lease
// (controller-runtime's leader_election_master_status is 1).
func (p *Process) IsLeader() bool { return p.Metric("leader_election_master_status")() == 1 }

// SaveProfile writes a pprof profile ("heap", or "profile?seconds=N" for CPU) to path.
func (p *Process) SaveProfile(kind, path string) error {
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

// Memory returns the current and peak resident set size in MiB (0 once
// the process is gone).
func (p *Process) Memory() (rss, peak float64) {
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
