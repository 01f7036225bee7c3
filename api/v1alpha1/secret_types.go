package v1alpha1

import corev1 "k8s.io/api/core/v1"

// SecretSpec shapes the Secret <name>-vault-secrets: its type, its labels
// and annotations, and keys rendered from templates.
// +kubebuilder:validation:XValidation:rule="!has(self.excludeRaw) || !self.excludeRaw || (has(self.templates) && self.templates.size() > 0)",message="excludeRaw needs templates: without them the Secret would be empty"
type SecretSpec struct {
	// Type is the Secret's type: Opaque (default), kubernetes.io/tls (needs
	// the keys tls.crt and tls.key, PEM certificate and private key) or
	// kubernetes.io/dockerconfigjson (needs the key .dockerconfigjson, JSON
	// with "auths"). The keys are checked before the Secret is written
	// (condition reason SecretTypeInvalid).
	// +kubebuilder:validation:Enum=Opaque;kubernetes.io/tls;kubernetes.io/dockerconfigjson
	// +kubebuilder:default=Opaque
	// +optional
	Type corev1.SecretType `json:"type,omitempty"`

	// Labels are added to the Secret. Keys under app.techweaver.io/ and
	// vaultapp.techweaver.io/ are the operator's own and are refused.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('app.techweaver.io/') && !k.startsWith('vaultapp.techweaver.io/'))",message="label keys under app.techweaver.io/ and vaultapp.techweaver.io/ are the operator's own"
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!k.contains('/') || k.split('/')[0].size() <= 253))",message="label keys must be qualified names: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'"
	// +optional
	Labels map[string]LabelValue `json:"labels,omitempty"`

	// Annotations are added to the Secret. Keys under app.techweaver.io/
	// and vaultapp.techweaver.io/ are the operator's own and are refused.
	// Values are at most 8192 characters.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('app.techweaver.io/') && !k.startsWith('vaultapp.techweaver.io/'))",message="annotation keys under app.techweaver.io/ and vaultapp.techweaver.io/ are the operator's own"
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!k.contains('/') || k.split('/')[0].size() <= 253))",message="annotation keys must be qualified names: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].size() <= 8192)",message="annotation values must be at most 8192 characters"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Templates are Secret keys rendered from the values the secrets entries
	// produced (Go text/template; data and functions in
	// docs/secret-shaping.md). A failing template sets SecretsSynced=False
	// with reason TemplateFailed, naming the template and line, and the
	// Secret keeps its last good data.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +optional
	Templates []SecretTemplate `json:"templates,omitempty"`

	// ExcludeRaw writes only the templates' output: the values of the
	// secrets entries are template input and are not Secret keys.
	// +optional
	ExcludeRaw bool `json:"excludeRaw,omitempty"`
}

// LabelValue is the value of a label: at most 63 letters, digits, '-', '_'
// or '.', starting and ending with a letter or digit, or empty. (A type of its
// own so that the schema, not a CEL rule, bounds and checks it: CEL rules on
// unbounded map values exceed the apiserver's cost budget.)
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
type LabelValue string

// SecretTemplate is one Secret key rendered from a template.
type SecretTemplate struct {
	// Name is the Secret key the template produces (and the file name under
	// /etc/secrets/vault), e.g. "config.yaml" or ".dockerconfigjson".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +kubebuilder:validation:XValidation:rule="self != '.' && self != '..' && !self.startsWith('..')",message="must not be '.', '..' or start with '..' (the kubelet keeps its own files under such names)"
	// +required
	Name string `json:"name"`

	// Template is the Go text/template producing the value, at most 64 KiB,
	// e.g. "url: {{ .Values.db_url }}". The data is .Values: every key the
	// secrets entries produced, as strings.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	// +required
	Template string `json:"template"`
}
