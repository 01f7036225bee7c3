package monitoring

import (
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func binding(ns, name string, gen int64, status monitoringv1.ConditionStatus, reason, msg string) monitoringv1.WorkloadBinding {
	return monitoringv1.WorkloadBinding{Group: "monitoring.coreos.com", Resource: "prometheuses", Namespace: ns, Name: name,
		Conditions: []monitoringv1.ConfigResourceCondition{{Type: monitoringv1.Accepted, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen}}}
}

func serviceMonitor(gen int64, bindings ...monitoringv1.WorkloadBinding) *monitoringv1.ServiceMonitor {
	return &monitoringv1.ServiceMonitor{ObjectMeta: metav1.ObjectMeta{Name: "billing", Namespace: "shop", Generation: gen},
		Status: monitoringv1.ConfigResourceStatus{Bindings: bindings}}
}

func TestServiceMonitorAcceptance(t *testing.T) {
	const invalid = "endpoints[0]: scrapeTimeout \"60s\" greater than scrapeInterval \"30s\""
	cases := []struct {
		name          string
		sm            *monitoringv1.ServiceMonitor
		known, accept bool
		msgHas        []string
		acceptedBy    []string
	}{
		{name: "no status (feature gate off, or no Prometheus selects it) is unknown, not a rejection",
			sm: serviceMonitor(1), known: false, accept: true},
		{name: "one Prometheus accepting is accepted",
			sm:    serviceMonitor(2, binding("monitoring", "k8s", 2, monitoringv1.ConditionTrue, "", "")),
			known: true, accept: true, acceptedBy: []string{"monitoring/k8s"}},
		{name: "a rejection names the Prometheus, the reason and the error",
			sm:    serviceMonitor(2, binding("monitoring", "k8s", 2, monitoringv1.ConditionFalse, "InvalidConfiguration", invalid)),
			known: true, accept: false, msgHas: []string{"Prometheus monitoring/k8s rejected it (InvalidConfiguration)", invalid}},
		{name: "one of two Prometheuses rejecting is a rejection",
			sm: serviceMonitor(3,
				binding("monitoring", "a", 3, monitoringv1.ConditionTrue, "", ""),
				binding("team", "b", 3, monitoringv1.ConditionFalse, "InvalidConfiguration", invalid)),
			known: true, accept: false, msgHas: []string{"Prometheus team/b rejected it"}, acceptedBy: []string{"monitoring/a"}},
		{name: "a verdict on an older generation is ignored (the spec it judged was replaced)",
			sm:    serviceMonitor(4, binding("monitoring", "k8s", 3, monitoringv1.ConditionFalse, "InvalidConfiguration", invalid)),
			known: false, accept: true},
		{name: "a binding without an Accepted condition tells nothing",
			sm:    serviceMonitor(1, monitoringv1.WorkloadBinding{Resource: "prometheuses", Namespace: "monitoring", Name: "k8s"}),
			known: false, accept: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := ServiceMonitorAcceptance(tc.sm)
			if a.Known != tc.known || a.Accepted != tc.accept {
				t.Fatalf("got Known=%v Accepted=%v, want %v %v (%+v)", a.Known, a.Accepted, tc.known, tc.accept, a)
			}
			if !tc.accept && a.Reason != ReasonServiceMonitorRejected {
				t.Errorf("reason %q, want %q", a.Reason, ReasonServiceMonitorRejected)
			}
			if tc.accept && (a.Reason != "" || a.Message != "") {
				t.Errorf("accepted but reason %q message %q", a.Reason, a.Message)
			}
			for _, want := range tc.msgHas {
				if !strings.Contains(a.Message, want) {
					t.Errorf("message %q lacks %q", a.Message, want)
				}
			}
			if strings.Join(a.AcceptedBy, ",") != strings.Join(tc.acceptedBy, ",") {
				t.Errorf("AcceptedBy %v, want %v", a.AcceptedBy, tc.acceptedBy)
			}
		})
	}
}
