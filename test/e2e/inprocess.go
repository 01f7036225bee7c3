package e2e

import (
	"context"
	"fmt"
	"os"

	"github.com/vault-sync-io/vault-sync-operator/internal/operator"
	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

// InProcess is the operator running inside the test binary, assembled by
// internal/operator as main.go assembles it. Its metrics are read from
// controller-runtime's registry (no metrics listener unless asked for).
// There is one per process: controller names and metrics are global, so
// an in-process operator cannot be restarted; suites that restart or kill
// the operator run it as a process (StartProcess).
type InProcess struct {
	endpoints
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// StartInProcess starts the operator in this process with the rig's flags
// (operatorArgs: no metrics listener, probes on a free port) followed by
// args, parsed as the binary parses them. It is stopped at Close.
func (e *Env) StartInProcess(args ...string) (*InProcess, error) {
	l := endpoints{MetricsAddr: "0", ProbeAddr: rig.FreeAddr()}
	o, err := ParseOperatorFlags(e.operatorArgs(l, args))
	if err != nil {
		return nil, fmt.Errorf("operator flags: %w", err)
	}
	op, err := operator.New(e.RestConfig, o)
	if err != nil {
		return nil, fmt.Errorf("operator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &InProcess{endpoints: endpoints{MetricsAddr: o.MetricsAddr, ProbeAddr: o.ProbeAddr, PprofAddr: o.PprofAddr},
		cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = op.Start(ctx)
	}()
	e.OnClose(func() {
		if err := p.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "operator stopped:", err)
		}
	})
	return p, nil
}

// Stop stops the operator and waits for it; it returns the error the
// operator stopped with, if any. Safe to call more than once.
func (p *InProcess) Stop() error {
	p.cancel()
	<-p.done
	return p.err
}

// Done is closed when the operator has stopped (Stop, or an error: Err).
func (p *InProcess) Done() <-chan struct{} { return p.done }

// Err is the error the operator stopped with, once Done is closed.
func (p *InProcess) Err() error { return p.err }

// Metrics gathers the operator's metrics from controller-runtime's
// registry, the one its metrics endpoint would serve.
func (p *InProcess) Metrics() (Metrics, error) { return Gather() }

// Metric returns a poller of the sum of a metric's samples whose labels
// match (see Metrics.Sum); -1 when the registry cannot be gathered.
func (p *InProcess) Metric(name string, labels ...string) func() float64 {
	return metricPoller(p.Metrics, name, labels)
}
