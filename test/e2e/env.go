package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// Env is a running rig plus what the framework keeps for it: the
// repository root, the capture of the in-process operator's logs, the
// operator binary once built, and what to stop when the suite ends.
type Env struct {
	*rig.Rig
	// Root is the repository root; paths given to Env's helpers are relative to it.
	Root string
	// Logs holds everything logged through controller-runtime's logger
	// since Main installed it (nil for an Env made by NewEnv).
	Logs *LogCapture

	mu       sync.Mutex
	cleanups []func()
	bin      binary
}

// TB is the part of *testing.T the framework uses.
type TB interface {
	Failed() bool
	Logf(format string, args ...any)
}

// Main is a suite's TestMain: it starts the rig with opts, runs setup with
// the suite's Env (prepare Vault, start the operator; setup stores the Env
// where the tests find it), runs the tests, then stops what setup started
// (Env.Close) and the rig. A setup error fails the suite before any test
// runs. The operator's in-process logs go to Env.Logs and, with
// VSO_TEST_LOGS=1, to stderr.
//
//	os.Exit(e2e.Main(m, rig.Options{CRDDirectoryPaths: e2e.CRDPaths()}, func(e *e2e.Env) error { env = e; return nil }))
func Main(m interface{ Run() int }, opts rig.Options, setup func(*Env) error) int {
	logs := &LogCapture{}
	var out io.Writer = logs
	if os.Getenv("VSO_TEST_LOGS") != "" {
		out = io.MultiWriter(logs, os.Stderr)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(out), zap.UseDevMode(true)))
	var setupErr error
	return rig.Main(gated{m, &setupErr}, opts, func(r *rig.Rig) func() {
		env := NewEnv(r)
		env.Logs = logs
		setupErr = setup(env)
		return env.Close
	})
}

// gated runs the tests only if the suite's setup succeeded.
type gated struct {
	m        interface{ Run() int }
	setupErr *error
}

func (g gated) Run() int {
	if *g.setupErr != nil {
		fmt.Fprintln(os.Stderr, "suite setup:", *g.setupErr)
		return 1
	}
	return g.m.Run()
}

// NewEnv wraps a rig started elsewhere (the sandbox, the benchmark, a test
// that starts its own rig). Close it before stopping the rig.
func NewEnv(r *rig.Rig) *Env {
	root, err := rig.RepoRoot()
	if err != nil {
		panic(err) // rig.Start found the binaries from the same root
	}
	return &Env{Rig: r, Root: root}
}

// CRDPaths are the CRDs most suites install: the VaultApp CRD of
// config/crd/bases and prometheus-operator's ServiceMonitor (test/crds).
func CRDPaths() []string {
	root, err := rig.RepoRoot()
	if err != nil {
		panic(err)
	}
	return []string{filepath.Join(root, "config/crd/bases"), filepath.Join(root, "test/crds")}
}

// OnClose registers fn to run at Close, before what was registered earlier.
func (e *Env) OnClose(fn func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cleanups = append(e.cleanups, fn)
}

// Close stops what the Env started (operators, PostgreSQL), newest first.
// The rig itself is stopped by its owner.
func (e *Env) Close() {
	e.mu.Lock()
	fns := e.cleanups
	e.cleanups = nil
	e.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// StartPostgres starts a throwaway PostgreSQL server, stopped at Close.
func (e *Env) StartPostgres() (*rig.Postgres, error) {
	pg, err := rig.StartPostgres(context.Background())
	if err != nil {
		return nil, err
	}
	e.OnClose(pg.Stop)
	return pg, nil
}

// ReadRepoFile reads a file of the repository (path relative to its root).
func (e *Env) ReadRepoFile(rel string) (string, error) {
	b, err := os.ReadFile(filepath.Join(e.Root, rel))
	return string(b), err
}
