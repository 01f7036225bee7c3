package e2e

import (
	"net/http"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics is one reading of an operator's metrics, by family name: a
// scrape of a process's endpoint or a gathering of the in-process registry.
type Metrics map[string]*dto.MetricFamily

// Scrape reads the metrics endpoint at addr (host:port).
func Scrape(addr string) (Metrics, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// Gather reads controller-runtime's registry: the metrics of the operator
// running in this process.
func Gather() (Metrics, error) {
	mfs, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return nil, err
	}
	m := Metrics{}
	for _, mf := range mfs {
		m[mf.GetName()] = mf
	}
	return m, nil
}

// Sum adds the counter and gauge samples of a metric whose labels match
// every given name/value pair (a value of "*" matches anything, "A|B"
// either); 0 when there is none.
func (m Metrics) Sum(name string, labels ...string) float64 {
	mf := m[name]
	if mf == nil {
		return 0
	}
	var total float64
	for _, s := range mf.Metric {
		if matches(s, labels) {
			total += s.GetCounter().GetValue() + s.GetGauge().GetValue()
		}
	}
	return total
}

func matches(s *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		v := ""
		for _, lp := range s.Label {
			if lp.GetName() == labels[i] {
				v = lp.GetValue()
			}
		}
		if labels[i+1] != "*" && !slices.Contains(strings.Split(labels[i+1], "|"), v) {
			return false
		}
	}
	return true
}

// metricPoller reads with read and sums; -1 when read fails.
func metricPoller(read func() (Metrics, error), name string, labels []string) func() float64 {
	return func() float64 {
		m, err := read()
		if err != nil {
			return -1
		}
		return m.Sum(name, labels...)
	}
}
