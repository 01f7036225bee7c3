// Command sandbox is `make run-local`: a real kube-apiserver+etcd and a dev
// Vault on loopback, Vault configured by examples/vault/setup.sh (the
// VAULT-SETUP-GUIDE's commands), the operator running in-process, and the
// quick-start examples of both jobs applied. It prints what happened and
// how to look further, then runs until Ctrl-C and cleans everything up.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
	"github.com/vault-sync-io/vault-sync-operator/test/manifests"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

func main() {
	verbose := flag.Bool("v", false, "show the operator's logs")
	apiserverOnly := flag.Bool("apiserver-only", false, "run only kube-apiserver+etcd (faster; Deployments get no pods)")
	flag.Parse()
	if err := run(*verbose, !*apiserverOnly); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run(verbose, withCluster bool) error {
	logOut := os.Stderr
	if !verbose {
		logOut, _ = os.Open(os.DevNull)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logOut)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	say("starting kube-apiserver, etcd and a Vault dev server (the first run builds them: ~15 min)")
	r, err := rig.Start(ctx, rig.Options{
		CRDDirectoryPaths: e2e.CRDPaths(),
		Logf:              func(f string, a ...any) { say(f, a...) },
		WithCluster:       withCluster,
	})
	if err != nil {
		return err
	}
	env := e2e.NewEnv(r)
	defer func() {
		say("stopping: operator, Vault, apiserver, etcd")
		env.Close()
		r.Stop()
	}()

	say("configuring Vault with examples/vault/setup.sh (the commands of VAULT-SETUP-GUIDE.md)")
	if err := env.RunSetupGuide(ctx); err != nil {
		return err
	}
	say("enabling Vault's PKI engine for the dynamic-secrets example (docs/dynamic-secrets.md)")
	if err := setupPKI(ctx, env); err != nil {
		return err
	}

	// A 10s refresh, so that a change in Vault shows within seconds.
	op, err := env.StartInProcess("--metrics-bind-address=127.0.0.1:8080", "--health-probe-bind-address=127.0.0.1:8081",
		"--vaultapp-refresh-interval=10s")
	if err != nil {
		return err
	}
	say("operator running (metrics http://%s/metrics, probes http://%s/readyz)", op.MetricsAddr, op.ProbeAddr)
	startPrometheus(ctx, r, env.Root, op.MetricsAddr)

	for _, f := range []string{"examples/grants/billing-service.yaml", "examples/grants/push-examples.yaml", "examples/grants/dynamic-examples.yaml",
		"examples/push/my-app.yaml", "examples/push/auto-discovery.yaml", "config/samples/app_v1alpha1_vaultapp.yaml", "examples/dynamic/web-tls.yaml"} {
		say("applying %s", f)
		if err := manifests.CreateFile(ctx, r.Client, filepath.Join(env.Root, f)); err != nil {
			return err
		}
	}
	if err := report(ctx, env); err != nil {
		return err
	}
	if err := reportCertificate(ctx, env); err != nil {
		return err
	}
	if withCluster {
		if err := showRollout(ctx, env); err != nil {
			return err
		}
	}
	printHowTo(r)
	say("sandbox ready. Press Ctrl-C to stop.")
	select {
	case <-ctx.Done():
	case <-op.Done():
		return fmt.Errorf("operator stopped: %w", op.Err())
	}
	return nil
}

func say(format string, args ...any) {
	fmt.Printf("[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
