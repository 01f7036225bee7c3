// Package monitoring interprets what prometheus-operator reports about the
// ServiceMonitors the operator creates for VaultApps, so a rejected one can
// show on the VaultApp's MonitoringReady condition.
//
// prometheus-operator (v0.84 and later, feature gate
// StatusForConfigurationResources) writes into a ServiceMonitor's status one
// binding per Prometheus (or PrometheusAgent) that selects it, each with an
// Accepted condition: False with reason InvalidConfiguration and the
// validation error as message when that Prometheus ignores the
// ServiceMonitor. Without the gate, or before any Prometheus selected it,
// the status is empty and nothing can be known.
package monitoring

import (
	"fmt"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// ReasonServiceMonitorRejected is the MonitoringReady reason when a
// Prometheus rejected the VaultApp's ServiceMonitor.
const ReasonServiceMonitorRejected = appv1alpha1.ReasonServiceMonitorRejected

// Acceptance is prometheus-operator's verdict on a ServiceMonitor.
type Acceptance struct {
	// Known is false when no Prometheus reported on the current generation
	// (feature gate off, no Prometheus selects it, or not processed yet).
	Known bool
	// Accepted is false only when a Prometheus that reported on the current
	// generation rejected it (an unknown verdict is not a rejection: the
	// MonitoringReady condition then keeps its own reason).
	Accepted bool
	// Reason and Message describe a rejection (Reason is
	// ReasonServiceMonitorRejected; Message names each rejecting
	// Prometheus with its error). Empty when accepted or unknown.
	Reason, Message string
	// AcceptedBy names the Prometheuses ("namespace/name") that accepted it.
	AcceptedBy []string
}

// ServiceMonitorAcceptance reads sm's status bindings. Conditions observed
// on an older generation of sm are ignored: they judge a spec that no
// longer exists.
func ServiceMonitorAcceptance(sm *monitoringv1.ServiceMonitor) Acceptance {
	var rejected []string
	a := Acceptance{Accepted: true}
	for _, b := range sm.Status.Bindings {
		c := acceptedCondition(b)
		if c == nil || c.ObservedGeneration != sm.Generation {
			continue
		}
		a.Known = true
		who := fmt.Sprintf("%s %s/%s", singular(b.Resource), b.Namespace, b.Name)
		switch c.Status {
		case monitoringv1.ConditionTrue:
			a.AcceptedBy = append(a.AcceptedBy, b.Namespace+"/"+b.Name)
		case monitoringv1.ConditionFalse:
			rejected = append(rejected, fmt.Sprintf("%s rejected it (%s): %s", who, c.Reason, c.Message))
		}
	}
	if len(rejected) > 0 {
		sort.Strings(rejected)
		a.Accepted = false
		a.Reason = ReasonServiceMonitorRejected
		a.Message = strings.Join(rejected, "; ")
	}
	sort.Strings(a.AcceptedBy)
	return a
}

func acceptedCondition(b monitoringv1.WorkloadBinding) *monitoringv1.ConfigResourceCondition {
	for i := range b.Conditions {
		if b.Conditions[i].Type == monitoringv1.Accepted {
			return &b.Conditions[i]
		}
	}
	return nil
}

// singular turns a binding's resource ("prometheuses") into a word for
// messages ("Prometheus").
func singular(resource string) string {
	switch resource {
	case "prometheuses":
		return "Prometheus"
	case "prometheusagents":
		return "PrometheusAgent"
	}
	return resource
}
