package rig

import (
	"context"
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

//go:embed kwok/*.yaml
var kwokStages embed.FS

// NodeName is the simulated node of the whole-cluster rig.
const NodeName = "kwok-node-0"

// cluster is what Options.WithCluster adds to the apiserver: the
// controllers that turn Deployments into ReplicaSets and pods and collect
// garbage, the scheduler, and a KWOK-simulated node whose "pods" become
// Ready without containers.
type cluster struct {
	procs []*exec.Cmd
}

func (r *Rig) startCluster(ctx context.Context, logf func(string, ...any)) error {
	start := time.Now()
	bins, err := findBinaries("kube", "gen")
	if err != nil {
		return err
	}
	wrapped := filepath.Join(r.Dir, "bin")
	saKey := filepath.Join(r.env.ControlPlane.APIServer.CertDir, "sa-signer.key")
	if err := r.startProc(wrapped, "kube-controller-manager", bins.ControllerManager,
		"--kubeconfig="+r.Kubeconfig, "--service-account-private-key-file="+saKey, "--root-ca-file="+r.CAFile,
		"--leader-elect=false", "--secure-port=0", "--controllers=*",
		// Deployments and the garbage collector react within a second.
		"--concurrent-deployment-syncs=10", "--concurrent-gc-syncs=20"); err != nil {
		return err
	}
	if err := r.startProc(wrapped, "kube-scheduler", bins.Scheduler,
		"--kubeconfig="+r.Kubeconfig, "--leader-elect=false", "--secure-port=0"); err != nil {
		return err
	}
	stageDir := filepath.Join(r.Dir, "kwok")
	args := []string{"--kubeconfig=" + r.Kubeconfig, "--manage-all-nodes=true", "--server-address=127.0.0.1:0"}
	entries, _ := kwokStages.ReadDir("kwok")
	if err := os.MkdirAll(stageDir, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		b, _ := kwokStages.ReadFile("kwok/" + e.Name())
		p := filepath.Join(stageDir, e.Name())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		args = append(args, "--config="+p)
	}
	if err := r.startProc(wrapped, "kwok", bins.Kwok, args...); err != nil {
		return err
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: NodeName, Labels: map[string]string{"type": "kwok", "kubernetes.io/hostname": NodeName},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}},
		Status: corev1.NodeStatus{Allocatable: resources(), Capacity: resources()},
	}
	if err := r.Client.Create(ctx, node); err != nil {
		return fmt.Errorf("create node: %w", err)
	}
	// Ready when kwok reports the node Ready and the default ServiceAccount
	// exists (pods are refused before the serviceaccount controller ran).
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n corev1.Node
		var sa corev1.ServiceAccount
		if r.Client.Get(ctx, objKey("", NodeName), &n) == nil && nodeReady(&n) &&
			r.Client.Get(ctx, objKey("default", "default"), &sa) == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("simulated node not Ready in 60s (logs in %s)", r.Dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.ClusterStartup = time.Since(start)
	logf("controller-manager, scheduler and kwok node up in %s", r.ClusterStartup.Round(time.Millisecond))
	return nil
}

func resources() corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		// far more pods than a real node: kwok pods cost nothing, and the
		// benchmark runs hundreds of VaultApps on this one node.
		corev1.ResourcePods: resource.MustParse("2000")}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// startProc starts a rig process in its own process group, logging to
// <dir>/<name>.log, killed with the rig (and with the test binary).
func (r *Rig) startProc(wrapped, name, bin string, args ...string) error {
	return r.startProcEnv(wrapped, name, bin, nil, args...)
}

// startProcEnv is startProc with extra environment variables.
func (r *Rig) startProcEnv(wrapped, name, bin string, env []string, args ...string) error {
	exe, err := diesWithParent(wrapped, bin)
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(r.Dir, name+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(childEnv(r.Dir), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	r.cluster.procs = append(r.cluster.procs, cmd)
	return nil
}

func (c *cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
		_ = p.Wait()
	}
	c.procs = nil
}

// ClusterProcessesRSS returns the resident memory (MiB) of the
// whole-cluster processes by name, for the benchmark's report.
func (r *Rig) ClusterProcessesRSS() map[string]float64 {
	out := map[string]float64{}
	for _, p := range r.cluster.procs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Process.Pid))
		if err != nil {
			continue
		}
		var kb float64
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), &kb)
			}
		}
		out[filepath.Base(p.Args[0])] = kb / 1024
	}
	return out
}
