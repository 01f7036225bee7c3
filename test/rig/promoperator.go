package rig

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// PromOperatorTools are what hack/tools/promop builds: prometheus-operator,
// the CRDs its module ships for that version, and promql-signal.
type PromOperatorTools struct {
	Operator     string
	PromQLSignal string
	// CRDDir holds Prometheus, ServiceMonitor, PrometheusRule and the other
	// monitoring.coreos.com CRDs (pass it in Options.CRDDirectoryPaths).
	CRDDir string
}

// FindPromOperatorTools locates the promop tool set, building it first
// when it is missing (minutes, once per machine).
func FindPromOperatorTools() (PromOperatorTools, error) {
	root, err := RepoRoot()
	if err != nil {
		return PromOperatorTools{}, err
	}
	bin, err := toolDir(root, "promop", true)
	if err != nil {
		return PromOperatorTools{}, err
	}
	return PromOperatorTools{
		Operator:     filepath.Join(bin, "prometheus-operator"),
		PromQLSignal: filepath.Join(bin, "promql-signal"),
		CRDDir:       filepath.Join(filepath.Dir(bin), "crds"),
	}, nil
}

// StartPrometheusOperator runs prometheus-operator against the rig's
// apiserver, with the status subresource of ServiceMonitors enabled
// (feature gate StatusForConfigurationResources), until the rig stops. It
// needs the CRDs of tools.CRDDir in the apiserver. Its log is
// <rig dir>/prometheus-operator.log.
func (r *Rig) StartPrometheusOperator(ctx context.Context, tools PromOperatorTools) error {
	addr := FreeAddr()
	err := r.startProcEnv(filepath.Join(r.Dir, "bin"), "prometheus-operator", tools.Operator,
		[]string{"KUBECONFIG=" + r.Kubeconfig},
		"--web.listen-address="+addr, "--feature-gates=StatusForConfigurationResources=true", "--log-level=info")
	if err != nil {
		return err
	}
	return waitHTTP(ctx, "http://"+addr+"/healthz", 60*time.Second, "prometheus-operator (log "+filepath.Join(r.Dir, "prometheus-operator.log")+")")
}

// PrometheusConfig returns the configuration prometheus-operator generated
// for the Prometheus object ns/name: the gzipped prometheus.yaml.gz of its
// Secret prometheus-<name>, which the config reloader hands to Prometheus.
func (r *Rig) PrometheusConfig(ctx context.Context, ns, name string) (string, error) {
	var s corev1.Secret
	if err := r.Client.Get(ctx, objKey(ns, "prometheus-"+name), &s); err != nil {
		return "", err
	}
	gz, ok := s.Data["prometheus.yaml.gz"]
	if !ok {
		return "", fmt.Errorf("secret %s/prometheus-%s has no prometheus.yaml.gz", ns, name)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(zr)
	return string(b), err
}

// waitHTTP polls url until it answers 200 or timeout passes.
func waitHTTP(ctx context.Context, url string, timeout time.Duration, what string) error {
	deadline := time.Now().Add(timeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s after %s", what, url, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
