package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const scrapeText = `# TYPE vault_sync_operator_vault_requests_total counter
vault_sync_operator_vault_requests_total{code="200",kind="write"} 3
vault_sync_operator_vault_requests_total{code="204",kind="write"} 4
vault_sync_operator_vault_requests_total{code="200",kind="read"} 5
# TYPE leader_election_master_status gauge
leader_election_master_status{name="vault-sync-operator.vault-sync.io"} 1
`

func TestScrapeAndSumMatchLabels(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, scrapeText)
	}))
	defer srv.Close()
	m, err := Scrape(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "vault_sync_operator_vault_requests_total"
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{nil, 12},
		{[]string{"kind", "write"}, 7},
		{[]string{"kind", "write", "code", "204"}, 4},
		{[]string{"kind", "write", "code", "204|200"}, 7},
		{[]string{"kind", "*", "code", "200"}, 8},
		{[]string{"kind", "delete"}, 0},
		{[]string{"no_such_label", "x"}, 0},
	} {
		if got := m.Sum(name, c.labels...); got != c.want {
			t.Errorf("Sum(%v) = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := m.Sum("leader_election_master_status"); got != 1 {
		t.Errorf("gauge sum = %v, want 1", got)
	}
	if got := m.Sum("absent_metric"); got != 0 {
		t.Errorf("absent metric = %v, want 0", got)
	}
}

func TestMetricPollerSaysWhenItCannotRead(t *testing.T) {
	p := &Process{endpoints: endpoints{MetricsAddr: "127.0.0.1:1"}} // nothing listens on port 1
	if got := p.Metric("leader_election_master_status")(); got != -1 {
		t.Errorf("unreachable endpoint: %v, want -1", got)
	}
	if p.IsLeader() {
		t.Error("an unreachable process is not the leader")
	}
}
