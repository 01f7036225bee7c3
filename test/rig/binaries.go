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
)

const moduleLine = "module github.com/vault-sync-io/vault-sync-operator\n"

// RepoRoot finds the repository root from the working directory.
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

// toolDir returns the cached bin directory of a tool set, building the set
// first if it is missing (minutes, once per machine).
func toolDir(root, set string, want ...string) (string, error) {
	script := filepath.Join(root, "hack", "tools", "install.sh")
	out, err := exec.Command(script, "--print-dir", set).Output()
	if err != nil {
		return "", fmt.Errorf("%s --print-dir %s: %w", script, set, err)
	}
	dir := strings.TrimSpace(string(out))
	for _, w := range want {
		if _, err := os.Stat(filepath.Join(dir, w)); err != nil {
			cmd := exec.Command(script, set)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return "", fmt.Errorf("build %s tools: %w", set, err)
			}
			break
		}
	}
	return dir, nil
}

// Binaries are the paths of the rig's programs.
type Binaries struct {
	KubeAPIServer, Kubectl, ControllerManager, Scheduler, Etcd, Vault, Kwok, Helm string
}

// FindBinaries locates (building if needed) every binary the rig runs.
func FindBinaries() (Binaries, error) {
	root, err := RepoRoot()
	if err != nil {
		return Binaries{}, err
	}
	kube, err := toolDir(root, "kube", "kube-apiserver", "kubectl", "kube-controller-manager", "kube-scheduler")
	if err != nil {
		return Binaries{}, err
	}
	etcd, err := toolDir(root, "etcd", "etcd")
	if err != nil {
		return Binaries{}, err
	}
	vault, err := toolDir(root, "vault", "vault")
	if err != nil {
		return Binaries{}, err
	}
	gen, err := toolDir(root, "gen", "kwok", "helm")
	if err != nil {
		return Binaries{}, err
	}
	return Binaries{
		KubeAPIServer: filepath.Join(kube, "kube-apiserver"), Kubectl: filepath.Join(kube, "kubectl"),
		ControllerManager: filepath.Join(kube, "kube-controller-manager"), Scheduler: filepath.Join(kube, "kube-scheduler"),
		Etcd: filepath.Join(etcd, "etcd"), Vault: filepath.Join(vault, "vault"),
		Kwok: filepath.Join(gen, "kwok"), Helm: filepath.Join(gen, "helm"),
	}, nil
}
