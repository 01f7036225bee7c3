package pushsync

import (
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func secretRef(name string) *corev1.SecretEnvSource {
	return &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}
}

// richPodSpec references Secrets every way a pod can, among things that
// are not Secret references.
func richPodSpec() *corev1.PodSpec {
	keyRef := func(secret, key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}
	}
	return &corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init", Image: "busybox", Command: []string{"sh"},
			EnvFrom: []corev1.EnvFromSource{{SecretRef: secretRef("init-env")}, {ConfigMapRef: &corev1.ConfigMapEnvSource{}}}}},
		Containers: []corev1.Container{
			{Name: "app", Image: "app:1", Env: []corev1.EnvVar{{Name: "PLAIN", Value: "x"}, {Name: "DB", ValueFrom: keyRef("db", "password")}}},
			{Name: "sidecar", Image: "proxy:2", Env: []corev1.EnvVar{{Name: "PLAIN", Value: "y"}}},
		},
		EphemeralContainers: []corev1.EphemeralContainer{
			{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "dbg", EnvFrom: []corev1.EnvFromSource{{SecretRef: secretRef("debug-env")}}}},
			{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "plain", Image: "dbg"}},
		},
		Volumes: []corev1.Volume{
			{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls", DefaultMode: new(int32)}}},
			{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
			{Name: "mixed", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "projected"}}},
				{ConfigMap: &corev1.ConfigMapProjection{}},
			}}}},
			{Name: "cm-only", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ConfigMap: &corev1.ConfigMapProjection{}}}}}},
		},
		ServiceAccountName: "web",
	}
}

func TestSecretReferencesKeepAllSecretReferencesCompactly(t *testing.T) {
	spec := richPodSpec()
	slim := SecretReferences(spec)
	if got, want := ReferencedSecrets(&slim), ReferencedSecrets(spec); !slices.Equal(got, want) || len(want) != 5 {
		t.Fatalf("references of the slimmed spec = %v, want %v (5)", got, want)
	}
	var refs []corev1.EnvFromSource
	for _, n := range []string{"db", "debug-env", "init-env", "projected", "tls"} {
		refs = append(refs, corev1.EnvFromSource{SecretRef: secretRef(n)})
	}
	want := corev1.PodSpec{Containers: []corev1.Container{{Name: "secret-references", EnvFrom: refs}}}
	if !reflect.DeepEqual(slim, want) {
		t.Fatalf("SecretReferences =\n%+v\nwant\n%+v", slim, want)
	}
	if empty := SecretReferences(&corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "x"}}}); !reflect.DeepEqual(empty, corev1.PodSpec{}) {
		t.Fatalf("a pod spec without Secrets slims to %+v, want nothing", empty)
	}
}

func TestSecretNamesFollowTheConfig(t *testing.T) {
	spec := richPodSpec()
	if got := SecretNames(Config{}, spec); !slices.Equal(got, []string{"db", "debug-env", "init-env", "projected", "tls"}) {
		t.Fatalf("auto-discovered names = %v", got)
	}
	explicit := Config{Explicit: []SecretSelection{{Name: "b"}, {Name: "a"}, {Name: "b"}}}
	if got := SecretNames(explicit, spec); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("explicit names = %v, want the selection's, sorted, once each", got)
	}
}

func TestStateExpectAndStale(t *testing.T) {
	a := vault.Location{Mount: "secret", Version: 2, Path: "a"}
	b := vault.Location{Mount: "secret", Version: 2, Path: "b"}
	v1 := vault.Location{Mount: "kv1", Version: 1, Path: "a"}
	v1Claimed := vault.Location{Mount: "kv1", Version: 1, Path: "b"}
	s := State{Locations: []vault.Location{a, b, v1, v1Claimed}, Versions: map[string]int{a.String(): 3, v1.String(): 0}}
	for loc, want := range map[vault.Location]vault.Expect{
		a:                                        {Claimed: true, Written: true, Version: 3},
		b:                                        {Claimed: true},
		v1:                                       {Claimed: true, Written: true},
		v1Claimed:                                {Claimed: true},
		{Mount: "secret", Version: 2, Path: "c"}: {},
	} {
		if got := s.Expect(loc); got != want {
			t.Errorf("Expect(%s) = %+v, want %+v", loc, got, want)
		}
	}
	if got := s.Stale([]vault.Location{b}); !slices.Equal(got, []vault.Location{a, v1, v1Claimed}) {
		t.Fatalf("Stale = %v, want a, kv1/a and kv1/b", got)
	}
	if got := (State{}).Stale([]vault.Location{a}); got != nil {
		t.Fatalf("Stale of an empty record = %v", got)
	}
}
