package vault

import (
	"net/http"
	"strings"
)

// countingTransport reports every request to the Observer, classified by
// kind, so traffic per sync can be measured from the operator's own metrics.
type countingTransport struct {
	next http.RoundTripper
	obs  Observer
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	code := 0
	if resp != nil {
		code = resp.StatusCode
	}
	t.obs.Request(requestKind(req.Method, req.URL.Path), code)
	return resp, err
}

// requestKind classifies by method and API path (/v1/...).
func requestKind(method, path string) RequestKind {
	p := strings.TrimPrefix(path, "/v1/")
	switch {
	case strings.HasPrefix(p, "auth/") && strings.HasSuffix(p, "/login"):
		return KindLogin
	case strings.HasPrefix(p, "auth/token/renew") || strings.HasPrefix(p, "sys/leases/renew"):
		return KindRenew
	case strings.HasPrefix(p, "sys/internal/ui/mounts"):
		return KindMountLookup
	case p == "sys/health":
		return KindHealth
	}
	switch method {
	case http.MethodGet, "LIST":
		return KindRead
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return KindWrite
	case http.MethodDelete:
		return KindDelete
	}
	return KindOther
}
