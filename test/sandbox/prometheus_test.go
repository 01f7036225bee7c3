package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// checkPrometheus: the sandbox printed its Prometheus's URL, and the query
// it suggests returns the operator's Vault traffic (Prometheus really
// scrapes the operator).
func checkPrometheus(t *testing.T, output string) {
	t.Helper()
	m := regexp.MustCompile(`prometheus: (http://127\.0\.0\.1:\d+) scrapes the operator`).FindStringSubmatch(output)
	if m == nil {
		t.Errorf("the sandbox printed no Prometheus URL:\n%s", output)
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := seriesOf(m[1], tryQuery)
		if err == nil && n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the suggested query %s returns no series from %s after 30s (%v)", tryQuery, m[1], err)
			return
		}
		time.Sleep(time.Second)
	}
}

func seriesOf(promURL, query string) (int, error) {
	resp, err := http.Get(promURL + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []any `json:"result"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	return len(body.Data.Result), err
}
