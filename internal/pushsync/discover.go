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
