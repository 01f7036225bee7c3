package rig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// installPrometheusHint says how to get the binaries FindPrometheus looks for.
const installPrometheusHint = "install Debian's prometheus package, which has both: " +
	"apt-get install -y --no-install-recommends prometheus (.ci/run does it when missing)"

// FindPrometheus returns the paths of prometheus and promtool: Debian's
// prometheus package, found on PATH or in /usr/bin.
func FindPrometheus() (prometheus, promtool string, err error) {
	find := func(name string) (string, error) {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		p := filepath.Join("/usr/bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		return "", fmt.Errorf("%s not found: %s", name, installPrometheusHint)
	}
	if prometheus, err = find("prometheus"); err != nil {
		return "", "", err
	}
	promtool, err = find("promtool")
	return prometheus, promtool, err
}

// PrometheusOptions configure StartPrometheus.
type PrometheusOptions struct {
	// Addr to listen on; empty: a free loopback port.
	Addr string
	// Targets maps a scrape job name to the host:port whose /metrics it scrapes.
	Targets map[string]string
	// ScrapeInterval of every job and of rule evaluation (default 1s).
	ScrapeInterval time.Duration
	// RuleFiles are loaded as rule_files (alerts evaluate in the server).
	RuleFiles []string
}

// Prometheus is a real Prometheus server scraping loopback targets.
type Prometheus struct {
	// URL of the server, e.g. http://127.0.0.1:9090.
	URL string
}

// StartPrometheus runs Debian's Prometheus with a static scrape
// configuration until the rig stops. Its data and log are in the rig's
// directory.
func (r *Rig) StartPrometheus(ctx context.Context, opts PrometheusOptions) (*Prometheus, error) {
	bin, _, err := FindPrometheus()
	if err != nil {
		return nil, err
	}
	if opts.Addr == "" {
		opts.Addr = FreeAddr()
	}
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = time.Second
	}
	cfgFile := filepath.Join(r.Dir, "prometheus.yml")
	if err := writePrometheusConfig(cfgFile, opts); err != nil {
		return nil, err
	}
	err = r.startProc(filepath.Join(r.Dir, "bin"), "prometheus", bin,
		"--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(r.Dir, "prometheus-data"),
		"--web.listen-address="+opts.Addr)
	if err != nil {
		return nil, err
	}
	p := &Prometheus{URL: "http://" + opts.Addr}
	return p, waitHTTP(ctx, p.URL+"/-/ready", 60*time.Second, "prometheus (log "+filepath.Join(r.Dir, "prometheus.log")+")")
}

func writePrometheusConfig(path string, opts PrometheusOptions) error {
	interval := opts.ScrapeInterval.String()
	var jobs []map[string]any
	for job, target := range opts.Targets {
		jobs = append(jobs, map[string]any{
			"job_name":       job,
			"scrape_timeout": interval,
			"static_configs": []map[string]any{{"targets": []string{target}}},
		})
	}
	cfg := map[string]any{
		"global":         map[string]any{"scrape_interval": interval, "evaluation_interval": interval},
		"rule_files":     opts.RuleFiles,
		"scrape_configs": jobs,
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Sample is one series of an instant query's result.
type Sample struct {
	Metric map[string]string `json:"metric"`
	// Value is [unix time, "value"] as the HTTP API returns it.
	Value [2]any `json:"value"`
}

// Query runs an instant PromQL query through the HTTP API and returns the
// series of a vector result (a scalar result is one series without labels).
func (p *Prometheus) Query(ctx context.Context, expr string) ([]Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/query?query="+url.QueryEscape(expr), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", expr, body.Error)
	}
	switch body.Data.ResultType {
	case "vector":
		var out []Sample
		return out, json.Unmarshal(body.Data.Result, &out)
	case "scalar":
		var v [2]any
		return []Sample{{Value: v}}, json.Unmarshal(body.Data.Result, &v)
	}
	return nil, fmt.Errorf("query %q: result type %s, want vector", expr, body.Data.ResultType)
}

// TargetsUp reports whether every active scrape target is up, with the
// last error of the first one that is not.
func (p *Prometheus) TargetsUp(ctx context.Context) (bool, error) {
	samples, err := p.Query(ctx, "up")
	if err != nil {
		return false, err
	}
	if len(samples) == 0 {
		return false, errors.New("no target scraped yet")
	}
	for _, s := range samples {
		if v, _ := s.Value[1].(string); v != "1" {
			return false, fmt.Errorf("target %s of job %s is down", s.Metric["instance"], s.Metric["job"])
		}
	}
	return true, nil
}

// String is the server's URL.
func (p *Prometheus) String() string { return strings.TrimSuffix(p.URL, "/") }
