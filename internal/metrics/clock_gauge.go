package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// clockGauge is a per-VaultApp gauge computed at scrape time from a point
// in time (a deadline or a start), so it needs no update between scrapes
// and costs no memory beyond one time per VaultApp.
type clockGauge struct {
	desc *prometheus.Desc
	// value turns the stored time into the gauge's value at now.
	value func(t, now time.Time) float64

	mu sync.Mutex
	at map[[2]string]time.Time
}

func newClockGauge(name, help string, value func(t, now time.Time) float64) *clockGauge {
	return &clockGauge{desc: prometheus.NewDesc(ns+"_"+name, help, []string{"namespace", "vaultapp"}, nil),
		value: value, at: map[[2]string]time.Time{}}
}

func (c *clockGauge) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *clockGauge) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for k, t := range c.at {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, c.value(t, now), k[0], k[1])
	}
}

// update changes the VaultApp's time with fn (given the current one and
// whether there is one); ok false removes its series.
func (c *clockGauge) update(namespace, name string, fn func(cur time.Time, found bool) (time.Time, bool)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{namespace, name}
	cur, found := c.at[k]
	if t, ok := fn(cur, found); ok {
		c.at[k] = t
	} else {
		delete(c.at, k)
	}
}
