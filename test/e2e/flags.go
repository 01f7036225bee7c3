package e2e

import (
	"flag"
	"io"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vault-sync-io/vault-sync-operator/internal/operator"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// operatorArgs are the flags of every operator run against the rig, in
// process or as a process: the rig's Vault through its fault-injecting
// proxy, the operator's identity through the TokenRequest API (it runs
// out of cluster) and its listeners. The caller's flags come last, so
// they win.
func (e *Env) operatorArgs(l endpoints, extra []string) []string {
	return append([]string{
		"--vault-addr=" + e.Vault.Addr,
		"--vault-service-account=" + rig.OperatorNamespace + "/" + rig.OperatorServiceAccount,
		"--metrics-bind-address=" + l.MetricsAddr,
		"--health-probe-bind-address=" + l.ProbeAddr,
		"--pprof-bind-address=" + l.PprofAddr,
	}, extra...)
}

// ParseOperatorFlags parses args exactly as the operator binary does (its
// options, the zap logging flags and --kubeconfig) and returns the
// options, not yet validated: the in-process runner uses it, and tests
// check with it that rendered manifests pass flags the binary accepts.
func ParseOperatorFlags(args []string) (operator.Options, error) {
	o := operator.DefaultOptions()
	fs := flag.NewFlagSet("vault-sync-operator", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.BindFlags(fs)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	fs.String(config.KubeconfigFlagName, "", "kubeconfig of the cluster")
	err := fs.Parse(args)
	return o, err
}

// endpoints are an operator's HTTP listeners ("" or "0": off).
type endpoints struct {
	MetricsAddr, ProbeAddr, PprofAddr string
}

// Probe returns a poller of the status code of a probe endpoint
// ("/healthz", "/readyz", "/healthz/ping"); 0 when nothing answers.
func (l endpoints) Probe(path string) func() int {
	return func() int {
		resp, err := http.Get("http://" + l.ProbeAddr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
}
