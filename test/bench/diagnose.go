package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"

	"github.com/vault-sync-io/vault-sync-operator/test/e2e"
)

// explainWrites logs, when a window that should write nothing did, which
// requests they were (verb and resource, from the operator's counters) and
// the events recorded since start: the table says how many, this says what.
func (b *bench) explainWrites(ctx context.Context, window string, before, after e2e.Metrics, since time.Time) {
	writes := seriesDelta(before, after, "vault_sync_operator_kube_requests_total", func(labels map[string]string) bool {
		return writeVerbs[labels["verb"]] && labels["resource"] != "serviceaccounts/token" // a login's token, counted as a login
	})
	if len(writes) == 0 {
		return
	}
	step("%s: Kubernetes writes %v; events since its start: %v", window, writes, b.eventsSince(ctx, since))
}

var writeVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true}

// seriesDelta is how much each series of a counter kept by keep grew
// between two readings, by its labels; series that did not grow are left out.
func seriesDelta(before, after e2e.Metrics, name string, keep func(map[string]string) bool) map[string]float64 {
	out := map[string]float64{}
	old := map[string]float64{}
	for _, s := range before[name].GetMetric() {
		old[labelString(s.GetLabel())] = s.GetCounter().GetValue()
	}
	for _, s := range after[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range s.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		k := labelString(s.GetLabel())
		if d := s.GetCounter().GetValue() - old[k]; d > 0 && keep(labels) {
			out[k] = d
		}
	}
	return out
}

func labelString(labels []*dto.LabelPair) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = l.GetName() + "=" + l.GetValue()
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// eventsSince tallies the events recorded since t by reason and kind of
// object (event messages never carry secret values). Event timestamps
// have whole seconds: t is truncated to its second.
func (b *bench) eventsSince(ctx context.Context, t time.Time) map[string]int {
	t = t.Truncate(time.Second)
	var list corev1.EventList
	if err := b.c.List(ctx, &list); err != nil {
		return map[string]int{err.Error(): 1}
	}
	tally := map[string]int{}
	for _, ev := range list.Items {
		last := ev.LastTimestamp.Time
		if ev.EventTime.After(last) {
			last = ev.EventTime.Time
		}
		if !last.Before(t) {
			tally[fmt.Sprintf("%s %s (%s)", ev.InvolvedObject.Kind, ev.Reason, ev.Type)]++
		}
	}
	return tally
}
