package secretdata

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// Build is what the controller calls once per reconcile, after fetching each
// distinct path once: it selects the keys of every entry, refuses two
// sources for one key, renders the templates, and checks what the Secret's
// type requires. It returns the Secret's data, or an error and nothing:
// never half the data. shape (spec.secret) may be nil.
func Build(entries []appv1alpha1.SecretRef, shape *appv1alpha1.SecretSpec, fetched Fetched) (map[string][]byte, error) {
	sel, err := Select(entries, fetched)
	if err != nil {
		return nil, err
	}
	raw, sources, err := Assemble(sel)
	if err != nil {
		return nil, err
	}
	if n := totalBytes(raw); n > MaxSecretBytes {
		return nil, &TooLargeError{What: "the values of spec.vault.secrets", Bytes: n}
	}
	if shape == nil {
		return raw, nil
	}
	out := raw
	if shape.ExcludeRaw {
		out, sources = map[string][]byte{}, map[string]Source{}
	}
	for i, t := range shape.Templates {
		src := templateSource(i, t.Name)
		// The CRD refuses "." and ".." too; checked here again because no
		// Secret can hold them and an old CRD may still admit them.
		if err := checkSecretKey(t.Name); err != nil {
			return nil, &InvalidEntryError{Entry: src, Reason: fmt.Sprintf("the name %q %s", t.Name, err)}
		}
		if first, ok := sources[t.Name]; ok {
			return nil, &KeyConflictError{Key: t.Name, First: first, Second: src}
		}
		sources[t.Name] = src
	}
	rendered, err := Render(shape.Templates, raw)
	if err != nil {
		return nil, err
	}
	for k, v := range rendered {
		out[k] = v
	}
	if n := totalBytes(out); n > MaxSecretBytes {
		return nil, &TooLargeError{What: "the Secret's data", Bytes: n}
	}
	if err := CheckType(TypeOf(shape), out); err != nil {
		return nil, err
	}
	return out, nil
}

// Assemble merges the selected keys into the Secret's data and says where
// each key came from. Two sources of one key are a KeyConflictError, never
// a silent overwrite.
func Assemble(sel []Selected) (map[string][]byte, map[string]Source, error) {
	data := make(map[string][]byte, len(sel))
	sources := make(map[string]Source, len(sel))
	for _, s := range sel {
		if first, ok := sources[s.Key]; ok {
			return nil, nil, &KeyConflictError{Key: s.Key, First: first, Second: s.Source}
		}
		data[s.Key], sources[s.Key] = s.Value, s.Source
	}
	return data, sources, nil
}

// TypeOf is the Secret's type: spec.secret.type, Opaque when unset.
func TypeOf(shape *appv1alpha1.SecretSpec) corev1.SecretType {
	if shape == nil || shape.Type == "" {
		return corev1.SecretTypeOpaque
	}
	return shape.Type
}

func templateSource(i int, name string) Source {
	return Source{Field: fmt.Sprintf("spec.secret.templates[%d]", i), What: fmt.Sprintf("template %q", name)}
}

func totalBytes(m map[string][]byte) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}
