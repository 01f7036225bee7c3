package pushsync

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// ReferencedSecrets lists, sorted and without duplicates, every Secret a pod
// template uses: env secretKeyRef, envFrom secretRef, secret volumes and
// projected secret sources, in containers, init containers and ephemeral
// containers.
func ReferencedSecrets(spec *corev1.PodSpec) []string {
	var names []string
	add := func(n string) {
		if n != "" {
			names = append(names, n)
		}
	}
	containers := func(cs []corev1.Container) {
		for _, c := range cs {
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil {
					add(e.SecretRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					add(e.ValueFrom.SecretKeyRef.Name)
				}
			}
		}
	}
	containers(spec.InitContainers)
	containers(spec.Containers)
	for _, ec := range spec.EphemeralContainers {
		containers([]corev1.Container{corev1.Container(ec.EphemeralContainerCommon)})
	}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			add(v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					add(src.Secret.Name)
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// SecretNames returns the Secrets a Config reads for a pod template: the
// explicit selection's names, or the auto-discovered references.
func SecretNames(cfg Config, spec *corev1.PodSpec) []string {
	if cfg.Explicit == nil {
		return ReferencedSecrets(spec)
	}
	names := make([]string, 0, len(cfg.Explicit))
	for _, s := range cfg.Explicit {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// SecretReferences is a pod spec that references the same Secrets as spec
// (ReferencedSecrets reads the same names from both) and holds nothing
// else: one container with an envFrom entry per Secret. The operator's
// cache keeps this of annotated Deployments it does not manage, so that
// push sync finds the Secrets a Deployment uses without reading it from
// the API server, and memory grows neither with images, commands, probes
// or resources nor with the number of containers and volumes.
func SecretReferences(spec *corev1.PodSpec) corev1.PodSpec {
	names := ReferencedSecrets(spec)
	if len(names) == 0 {
		return corev1.PodSpec{}
	}
	refs := make([]corev1.EnvFromSource, len(names))
	for i, n := range names {
		refs[i] = corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: n}}}
	}
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "secret-references", EnvFrom: refs}}}
}
