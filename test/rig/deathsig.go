package rig

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// diesWithParent returns a program to run in place of bin that is killed
// (SIGKILL) as soon as the process that started it dies.
//
// envtest starts kube-apiserver and etcd in their own process groups and
// stops them only from Stop, so a test binary that never gets there (go
// test's -timeout panic, a SIGKILL, a crash) would leave both running for
// good. Vault gets Pdeathsig directly (see startVault); envtest offers no
// hook for it, so its binaries are started through a two-line wrapper in dir
// that sets the parent-death signal with setpriv and execs the real binary
// (same pid, so envtest's signals still reach it). Without setpriv (or one
// too old for --pdeathsig) the binary is used as is.
func diesWithParent(dir, bin string) (string, error) {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return bin, nil
	}
	help, _ := exec.Command(setpriv, "--help").CombinedOutput()
	if !strings.Contains(string(help), "--pdeathsig") {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	wrapper := filepath.Join(dir, filepath.Base(bin))
	script := fmt.Sprintf("#!/bin/sh\nexec %s --pdeathsig KILL -- %s \"$@\"\n", shellQuote(setpriv), shellQuote(bin))
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		return "", err
	}
	return wrapper, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
