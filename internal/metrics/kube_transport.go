package metrics

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// InstrumentKubeClient counts every request of clients built from cfg in
// KubeRequests.
func InstrumentKubeClient(cfg *rest.Config) {
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return kubeCounter{rt} })
}

type kubeCounter struct{ next http.RoundTripper }

func (k kubeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	verb, resource := kubeVerbResource(req)
	KubeRequests.WithLabelValues(verb, resource).Inc()
	resp, err := k.next.RoundTrip(req)
	if resp != nil && resp.StatusCode == http.StatusConflict {
		KubeConflicts.WithLabelValues(resource).Inc()
	}
	return resp, err
}

// KubeConflicts counts 409 answers: writes that lost against a concurrent
// change and were retried through the workqueue.
var KubeConflicts = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: ns, Name: "kube_conflicts_total",
	Help: "Kubernetes API writes answered 409 Conflict (a concurrent change won; the object is reconciled again), by resource.",
}, []string{"resource"})

func init() { ctrlmetrics.Registry.MustRegister(KubeConflicts) }

// kubeVerbResource derives the API verb and resource from the request:
// /api/v1/namespaces/ns/secrets/name, /apis/apps/v1/deployments, ...
func kubeVerbResource(req *http.Request) (string, string) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	// skip "api/v1" or "apis/group/version"
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return strings.ToLower(req.Method), "other"
	}
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) > 2 {
		parts = parts[2:]
	}
	resource, named := "", false
	if len(parts) > 0 {
		resource = parts[0]
		named = len(parts) > 1
		if len(parts) > 2 { // subresource: deployments/x/status
			resource += "/" + parts[2]
		}
	}
	verb := map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodPatch: "patch", http.MethodDelete: "delete"}[req.Method]
	if req.Method == http.MethodGet {
		switch {
		case req.URL.Query().Get("watch") == "true":
			verb = "watch"
		case named:
			verb = "get"
		default:
			verb = "list"
		}
	}
	return verb, resource
}
