package metrics

import (
	"net/http"
	"net/url"
	"testing"
)

func TestKubeVerbResource(t *testing.T) {
	cases := map[string][2]string{
		"GET /api/v1/namespaces/ns/secrets/s":                                    {"get", "secrets"},
		"GET /api/v1/secrets?watch=true":                                         {"watch", "secrets"},
		"GET /apis/apps/v1/deployments":                                          {"list", "deployments"},
		"PATCH /apis/apps/v1/namespaces/ns/deployments/d":                        {"patch", "deployments"},
		"POST /api/v1/namespaces/ns/events":                                      {"create", "events"},
		"PATCH /apis/app.techweaver.io/v1alpha1/namespaces/n/vaultapps/a/status": {"patch", "vaultapps/status"},
	}
	for in, want := range cases {
		var method, raw string
		for i := range in {
			if in[i] == ' ' {
				method, raw = in[:i], in[i+1:]
				break
			}
		}
		u, _ := url.Parse(raw)
		v, r := kubeVerbResource(&http.Request{Method: method, URL: u})
		if v != want[0] || r != want[1] {
			t.Errorf("%s = %s %s, want %v", in, v, r, want)
		}
	}
}
