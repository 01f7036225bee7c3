package rig

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main starts a rig for a test package, runs its tests and stops the rig.
// setup runs before the tests; the function it returns (if any) runs after
// them, before the rig stops. From TestMain:
//
//	os.Exit(rig.Main(m, rig.Options{}, func(r *rig.Rig) func() { testRig = r; return nil }))
//
// It takes m as an interface so this package does not import "testing"
// (the sandbox and the benchmark link it into ordinary binaries).
//
// SIGINT/SIGTERM (Ctrl-C, go test's own interrupt) stop the rig, also while
// it is still starting, so no apiserver, etcd or Vault and no temp dir is
// left behind; the process then exits with 130.
func Main(m interface{ Run() int }, opts Options, setup func(*Rig) func()) int {
	if opts.Logf == nil {
		opts.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, "rig: "+f+"\n", a...) }
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	started := make(chan *Rig, 1) // the rig, or nil if Start failed
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case s := <-sig:
			if r := <-started; r != nil {
				r.Stop()
			}
			fmt.Fprintf(os.Stderr, "rig: %v: stopped the rig\n", s)
			os.Exit(130)
		case <-done:
		}
	}()

	r, err := Start(context.Background(), opts)
	started <- r
	if err != nil {
		fmt.Fprintln(os.Stderr, "rig:", err)
		return 1
	}
	defer r.Stop()
	if cleanup := setup(r); cleanup != nil {
		defer cleanup()
	}
	return m.Run()
}
