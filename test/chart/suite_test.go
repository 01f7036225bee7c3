// Package chart checks the Helm chart the way the ecosystem expects a chart
// to behave: its values schema rejects typos, its README documents every
// value, optional objects (PodDisruptionBudget, NetworkPolicy,
// PrometheusRule, Grafana dashboard) render when asked, and what it renders
// (default and all-features values) is accepted by a real apiserver with
// prometheus-operator's CRDs (server-side dry run).
package chart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

const chartDir = "charts/vault-sync-operator"

var (
	testRig *rig.Rig
	root    string
)

func TestMain(m *testing.M) {
	root, _ = rig.RepoRoot()
	promop, err := rig.FindPromOperatorTools()
	if err != nil {
		os.Stderr.WriteString("prometheus-operator CRDs: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(rig.Main(m, rig.Options{CRDDirectoryPaths: []string{filepath.Join(root, "config/crd/bases"), promop.CRDDir}},
		func(r *rig.Rig) func() { testRig = r; return nil }))
}

// helm runs the rig's helm in the repository root and returns stdout and
// the error (with stderr) for tests that expect failures.
func helm(args ...string) (string, error) {
	cmd := exec.Command(testRig.Binaries.Helm, args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &cmdError{err: err, stderr: stderr.String() + string(out)}
	}
	return string(out), nil
}

type cmdError struct {
	err    error
	stderr string
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }

// render is `helm template` of the chart with extra arguments; it fails the test on error.
func render(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helm(append([]string{"template", "vso", chartDir, "--namespace", "vault-sync-system"}, args...)...)
	if err != nil {
		t.Fatalf("helm template %v: %v", args, err)
	}
	return out
}
