// Package rig is the real test environment: kube-apiserver and etcd
// (through controller-runtime's envtest) and a Vault dev server, built from
// the Go module proxy by hack/tools/install.sh and cached outside the
// clone. Tests, the local sandbox and the benchmark all start it from here.
package rig

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

const moduleLine = "module github.com/vault-sync-io/vault-sync-operator\n"

// RepoRoot finds the repository root from the working directory, so the rig
// works from any package directory (go test runs in the package's dir).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte(moduleLine)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the vault-sync-operator repository")
		}
		dir = parent
	}
}

// toolDir returns the cached bin directory of a tool set. With build, a set
// that is not completely built is built first (minutes, once per machine).
func toolDir(root, set string, build bool) (string, error) {
	script := filepath.Join(root, "hack", "tools", "install.sh")
	out, err := exec.Command(script, "--print-dir", set).Output()
	if err != nil {
		return "", fmt.Errorf("%s --print-dir %s: %w", script, set, err)
	}
	dir := strings.TrimSpace(string(out))
	if !build || built(dir) {
		return dir, nil
	}
	// go test runs packages in parallel: several rigs may find the set
	// missing at once. One builds, the others wait and then find it built.
	unlock, err := lockFile(filepath.Dir(dir) + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if built(dir) {
		return dir, nil
	}
	cmd := exec.Command(script, set)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s tools (%s %s): %w", set, script, set, err)
	}
	return dir, nil
}

// built reports whether install.sh finished the set: it marks a complete
// build with .complete next to bin/, so a binary left half-written by an
// interrupted build is never run.
func built(binDir string) bool {
	_, err := os.Stat(filepath.Join(filepath.Dir(binDir), ".complete"))
	return err == nil
}

// lockFile takes an exclusive flock on path (created if missing).
func lockFile(path string) (unlock func(), _ error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// Binaries are the paths of the rig's programs.
type Binaries struct {
	KubeAPIServer, Kubectl, ControllerManager, Scheduler, Etcd, Vault, Kwok, Helm string
}

// FindBinaries locates every binary the rig and its users run, building any
// tool set that is missing.
func FindBinaries() (Binaries, error) { return findBinaries("kube", "etcd", "vault", "gen") }

// findBinaries returns all paths but builds only the named sets: Start needs
// kube, etcd and vault, and should not wait for tools it does not run.
func findBinaries(build ...string) (Binaries, error) {
	root, err := RepoRoot()
	if err != nil {
		return Binaries{}, err
	}
	dirs := map[string]string{}
	for _, set := range []string{"kube", "etcd", "vault", "gen"} {
		need := false
		for _, b := range build {
			need = need || b == set
		}
		if dirs[set], err = toolDir(root, set, need); err != nil {
			return Binaries{}, err
		}
	}
	kube, gen := dirs["kube"], dirs["gen"]
	return Binaries{
		KubeAPIServer: filepath.Join(kube, "kube-apiserver"), Kubectl: filepath.Join(kube, "kubectl"),
		ControllerManager: filepath.Join(kube, "kube-controller-manager"), Scheduler: filepath.Join(kube, "kube-scheduler"),
		Etcd: filepath.Join(dirs["etcd"], "etcd"), Vault: filepath.Join(dirs["vault"], "vault"),
		Kwok: filepath.Join(gen, "kwok"), Helm: filepath.Join(gen, "helm"),
	}, nil
}
