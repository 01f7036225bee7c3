package pushsync

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func secret(name string, kv ...string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string][]byte{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Data[kv[i]] = []byte(kv[i+1])
	}
	return s
}

func TestReferencedSecrets(t *testing.T) {
	opt := true
	spec := &corev1.PodSpec{
		InitContainers: []corev1.Container{{EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "init-env"}}}}}},
		Containers: []corev1.Container{{Env: []corev1.EnvVar{
			{Name: "A", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "key-ref"}, Key: "a", Optional: &opt}}},
			{Name: "B", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "not-a-secret"}}}},
		}}},
		Volumes: []corev1.Volume{
			{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "volume"}}},
			{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "projected"}}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "volume"}}},
			}}}},
		},
	}
	got := strings.Join(ReferencedSecrets(spec), ",")
	if want := "init-env,key-ref,projected,volume"; got != want {
		t.Fatalf("ReferencedSecrets = %s, want %s", got, want)
	}
}

func TestPlan(t *testing.T) {
	t.Run("should write each secret whole to its own sub-path in auto mode", func(t *testing.T) {
		w, err := Plan(Config{}, map[string]*corev1.Secret{"b": secret("b", "k", "v"), "a": secret("a", "x", "1", "y", "2")})
		if err != nil || len(w) != 2 || w[0].Sub != "a" || w[0].Data["y"] != "2" || w[1].Sub != "b" {
			t.Fatalf("Plan = %+v, %v", w, err)
		}
	})
	t.Run("should merge chosen keys with prefixes in explicit mode", func(t *testing.T) {
		cfg := Config{Explicit: []SecretSelection{{Name: "db", Keys: []string{"user"}, Prefix: "db_"}, {Name: "api"}}}
		w, err := Plan(cfg, map[string]*corev1.Secret{"db": secret("db", "user", "u", "pass", "p"), "api": secret("api", "token", "t")})
		if err != nil || len(w) != 1 || w[0].Sub != "" || len(w[0].Data) != 2 || w[0].Data["db_user"] != "u" || w[0].Data["token"] != "t" {
			t.Fatalf("Plan = %+v, %v", w, err)
		}
	})
	t.Run("should name the missing key and the available ones", func(t *testing.T) {
		cfg := Config{Explicit: []SecretSelection{{Name: "mysecret", Keys: []string{"mykey"}}}}
		_, err := Plan(cfg, map[string]*corev1.Secret{"mysecret": secret("mysecret", "b", "1", "a", "2")})
		if err == nil || err.Error() != "key mykey not found in secret mysecret (available keys: a, b)" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("should refuse two sources writing the same key", func(t *testing.T) {
		cfg := Config{Explicit: []SecretSelection{{Name: "a"}, {Name: "b"}}}
		_, err := Plan(cfg, map[string]*corev1.Secret{"a": secret("a", "token", "1"), "b": secret("b", "token", "2")})
		if err == nil || !strings.Contains(err.Error(), `duplicate vault key "token"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("should refuse binary values instead of corrupting them", func(t *testing.T) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ks"}, Data: map[string][]byte{"keystore": {0xff, 0xfe, 0x00}}}
		_, err := Plan(Config{}, map[string]*corev1.Secret{"ks": s})
		if err == nil || !strings.Contains(err.Error(), "binary (not UTF-8 text)") || strings.Contains(err.Error(), "\xff") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestHash(t *testing.T) {
	k := testKey(t, "operator key one, long enough")
	w := []Write{{Data: map[string]string{"a": "1", "b": "2"}}}
	h1 := Hash(k, "uid", []string{"secret/data/x"}, w)
	if h1 != Hash(k, "uid", []string{"secret/data/x"}, []Write{{Data: map[string]string{"b": "2", "a": "1"}}}) {
		t.Fatal("hash depends on map order")
	}
	if h1 == Hash(k, "uid", []string{"secret/data/y"}, w) {
		t.Fatal("hash ignores the path")
	}
	if h1 == Hash(k, "uid", []string{"secret/data/x"}, []Write{{Data: map[string]string{"a": "1", "b": "3"}}}) {
		t.Fatal("hash ignores values")
	}
	if h1 == Hash(k, "another-uid", []string{"secret/data/x"}, w) {
		t.Fatal("hash is not bound to its Deployment")
	}
	if h1 == Hash(testKey(t, "operator key two, long enough"), "uid", []string{"secret/data/x"}, w) {
		t.Fatal("hash is not keyed: a reader of the annotation could confirm a guessed value")
	}
}
