package e2e

import (
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// The image of the containers the builders make; nothing pulls it (KWOK
// pods run no containers).
const appImage = "example.com/app:1"

// NewSecret is a Secret holding the given key/value pairs (k1, v1, k2, v2...).
func NewSecret(ns, name string, kv ...string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Data[kv[i]] = []byte(kv[i+1])
	}
	return s
}

// NewDeployment is a Deployment annotated with ann (push sync reads
// vault-sync.io/* annotations) whose one container, "app", uses each named
// Secret through envFrom; its pods are labelled app=name.
func NewDeployment(ns, name string, ann map[string]string, secrets ...string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	c := corev1.Container{Name: "app", Image: appImage}
	for _, s := range secrets {
		c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: s}}})
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: ann},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}},
		},
	}
}

// SecretVolume is a pod volume of the whole Secret name (another kind of
// reference auto-discovery follows).
func SecretVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}}
}

// NewVaultApp is a VaultApp that logs in with role and reads secrets into
// a Deployment of one container, "app", whose pods are labelled app=name.
func NewVaultApp(ns, name, role string, secrets ...appv1alpha1.SecretRef) *appv1alpha1.VaultApp {
	labels := map[string]string{"app": name}
	return &appv1alpha1.VaultApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appv1alpha1.VaultAppSpec{
			DeploymentSpec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: appImage}}}},
			},
			Vault: appv1alpha1.VaultSpec{Role: role, Secrets: secrets},
		},
	}
}

// LoadVaultApp reads a VaultApp from a YAML file of the repository
// (config/samples/..., examples/...), strictly: unknown fields fail.
func (e *Env) LoadVaultApp(rel string) *appv1alpha1.VaultApp {
	b, err := e.ReadRepoFile(rel)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	app := &appv1alpha1.VaultApp{}
	ExpectWithOffset(1, yaml.UnmarshalStrict([]byte(b), app)).To(Succeed())
	return app
}
