package e2e

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestRolledOut(t *testing.T) {
	three := int32(3)
	done := appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 3, AvailableReplicas: 3, Replicas: 3}
	for name, c := range map[string]struct {
		replicas *int32
		status   appsv1.DeploymentStatus
		want     bool
	}{
		"every replica updated and available": {&three, done, true},
		"generation not observed yet":         {&three, appsv1.DeploymentStatus{ObservedGeneration: 1, UpdatedReplicas: 3, AvailableReplicas: 3, Replicas: 3}, false},
		"old pods still running":              {&three, appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 3, AvailableReplicas: 3, Replicas: 4}, false},
		"new pods not available":              {&three, appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 3, AvailableReplicas: 2, Replicas: 3}, false},
		"replicas unset means one":            {nil, appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 1, AvailableReplicas: 1, Replicas: 1}, true},
	} {
		d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: c.replicas}, Status: c.status}
		d.Generation = 2
		if got := RolledOut(d); got != c.want {
			t.Errorf("%s: RolledOut = %v, want %v", name, got, c.want)
		}
	}
}

func TestBuildersMakeWhatTheOperatorReads(t *testing.T) {
	d := NewDeployment("ns", "web", map[string]string{"a": "b"}, "db", "api")
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.EnvFrom) != 2 || c.EnvFrom[0].SecretRef.Name != "db" || c.EnvFrom[1].SecretRef.Name != "api" {
		t.Errorf("envFrom %+v", c.EnvFrom)
	}
	if d.Spec.Selector.MatchLabels["app"] != "web" || d.Spec.Template.Labels["app"] != "web" || d.Annotations["a"] != "b" {
		t.Errorf("labels or annotations: %+v", d)
	}
	s := NewSecret("ns", "db", "user", "alice", "pass")
	if len(s.Data) != 1 || string(s.Data["user"]) != "alice" {
		t.Errorf("secret data %v (a key without a value is dropped)", s.Data)
	}
	p := &corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	if !PodReady(p) || PodReady(&corev1.Pod{}) {
		t.Error("PodReady follows the Ready condition")
	}
}
