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

// SecretReferences is the part of a pod spec that references Secrets, and
// nothing else: what ReferencedSecrets reads. The operator's cache keeps
// this of the Deployments it does not manage, so that push sync finds the
// Secrets a Deployment uses without reading it from the API server, and
// memory does not grow with images, commands, probes or resources.
func SecretReferences(spec *corev1.PodSpec) corev1.PodSpec {
	var out corev1.PodSpec
	out.InitContainers = containerSecretRefs(spec.InitContainers)
	out.Containers = containerSecretRefs(spec.Containers)
	for _, ec := range spec.EphemeralContainers {
		if refs := containerSecretRefs([]corev1.Container{corev1.Container(ec.EphemeralContainerCommon)}); len(refs) > 0 {
			out.EphemeralContainers = append(out.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(refs[0])})
		}
	}
	for _, v := range spec.Volumes {
		switch {
		case v.Secret != nil:
			out.Volumes = append(out.Volumes, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: v.Secret.SecretName}}})
		case v.Projected != nil:
			var srcs []corev1.VolumeProjection
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					srcs = append(srcs, corev1.VolumeProjection{Secret: &corev1.SecretProjection{LocalObjectReference: s.Secret.LocalObjectReference}})
				}
			}
			if len(srcs) > 0 {
				out.Volumes = append(out.Volumes, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: srcs}}})
			}
		}
	}
	return out
}

// containerSecretRefs keeps, of each container, its name and the
// environment entries that take values from Secrets.
func containerSecretRefs(cs []corev1.Container) []corev1.Container {
	var out []corev1.Container
	for _, c := range cs {
		slim := corev1.Container{Name: c.Name}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				slim.EnvFrom = append(slim.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: e.SecretRef.LocalObjectReference}})
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				slim.Env = append(slim.Env, corev1.EnvVar{Name: e.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: e.ValueFrom.SecretKeyRef.LocalObjectReference, Key: e.ValueFrom.SecretKeyRef.Key}}})
			}
		}
		if len(slim.EnvFrom)+len(slim.Env) > 0 {
			out = append(out, slim)
		}
	}
	return out
}
