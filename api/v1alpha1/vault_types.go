package v1alpha1

// Duration fields are bounded twice: the pattern admits only what Go's
// time.ParseDuration parses without overflow (at most 6 digits before the
// point and 20 characters: under 2,100,000h, below Go's limit of about
// 2,562,047h), and a CEL rule checks the range the controller can use. The
// CEL rule is guarded by the pattern, so a malformed value gets the pattern's
// message, not a CEL evaluation error. ValidateSpec checks the same in Go for
// objects admitted by an older CRD.

// VaultSpec is the Vault side of a VaultApp.
// +kubebuilder:validation:XValidation:rule="!has(self.issue) || self.issue.all(i, self.secrets.exists(s, s.path == i.path))",message="every issue[].path must also be the path of an entry in secrets (which keys go where)"
type VaultSpec struct {
	// Role is the Vault role the operator logs in with to read this
	// application's secrets: letters, digits, '_', '-', '.' and '@',
	// starting and ending with a letter, digit or '_' (Vault's role names).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_]([-A-Za-z0-9_.@]*[A-Za-z0-9_])?$`
	// +required
	Role string `json:"role"`

	// AuthMethod is the Vault auth method to log in with: "kubernetes"
	// (Vault asks the apiserver to review the service-account token) or
	// "jwt" (Vault checks the token against the cluster's OIDC issuer keys).
	// Empty means the operator's --vault-auth-method.
	// +kubebuilder:validation:Enum=kubernetes;jwt
	// +optional
	AuthMethod string `json:"authMethod,omitempty"`

	// AuthPath is the mount path of the auth method, without "auth/" (e.g.
	// "kubernetes" or "jwt/cluster-a"); empty means the operator's
	// --vault-auth-path for its own method, otherwise the method's name.
	// Segments of letters, digits, '_', '-' and '.', separated by single
	// slashes; no '.' or '..' segment.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[-_.A-Za-z0-9]+(/[-_.A-Za-z0-9]+)*$`
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(s, s == '..' || s == '.')",message="authPath must not contain '.' or '..' segments"
	// +optional
	AuthPath string `json:"authPath,omitempty"`

	// RefreshInterval is how often Vault is re-read to pick up rotated
	// values: a duration such as "90s", "5m" or "1h30m", from 10s to 168h
	// (default: the operator's --vaultapp-refresh-interval, 5m).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:Pattern=`^([0-9]{1,6}([.][0-9]{1,9})?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]{1,6}([.][0-9]{1,9})?(ns|us|ms|s|m|h))+$') || self.size() > 20 || (duration(self) >= duration('10s') && duration(self) <= duration('168h'))",message="refreshInterval must be at least 10s and at most 168h"
	// +optional
	RefreshInterval *Duration `json:"refreshInterval,omitempty"`

	// Secrets says which Vault values go into the Secret. An entry with key
	// copies one value to targetKey; an entry without key copies every key
	// of the path (see include, exclude and prefix). Each targetKey may
	// appear once, and two entries producing the same key is a KeyConflict
	// (never a silent overwrite).
	//
	// (Uniqueness of targetKey is a CEL rule because whole-path entries have
	// none, so the list cannot be a listType=map keyed by it. The rule builds
	// a map, an O(n) check: comparing every pair costs over the apiserver's
	// per-rule limit at 256 entries. A duplicate makes the insertion fail,
	// reported as "insert failed: key ... already exists evaluating rule:
	// Duplicate value ...". transformMapEntry needs Kubernetes 1.33 or later.)
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:XValidation:rule="size(self.filter(s, has(s.targetKey)).transformMapEntry(i, s, {s.targetKey: i})) == size(self.filter(s, has(s.targetKey)))",message="Duplicate value: each targetKey may appear once in secrets"
	// +listType=atomic
	// +required
	Secrets []SecretRef `json:"secrets"`

	// Issue names the paths whose engine issues a new secret on each write
	// (PKI's pki/issue/<role>, the Kubernetes engine's kubernetes/creds/<role>)
	// and the parameters of the request. The entries of secrets with the same
	// path take their keys from the issued secret. Paths not listed here are
	// read; a read that returns a lease (database/creds/<role>) is a dynamic
	// secret too.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=path
	// +optional
	Issue []IssueSpec `json:"issue,omitempty"`

	// Leases tunes the lifecycle of dynamic secrets.
	// +optional
	Leases *LeaseSpec `json:"leases,omitempty"`
}

// SecretRef selects values of one Vault path: one key (key and targetKey),
// or every key of the path (no key; optionally include, exclude, prefix).
// +kubebuilder:validation:XValidation:rule="!has(self.key) || has(self.targetKey)",message="targetKey is required when key is set"
// +kubebuilder:validation:XValidation:rule="has(self.key) || !has(self.targetKey)",message="targetKey is allowed only with key: an entry without key copies every key of the path under its own name (use prefix to rename)"
// +kubebuilder:validation:XValidation:rule="!has(self.key) || !(has(self.include) || has(self.exclude) || has(self.prefix))",message="include, exclude and prefix apply only to an entry without key (a whole path)"
type SecretRef struct {
	// Path is the Vault path to read, e.g. "kv/data/billing/database" (KV v2;
	// "kv/billing/database" works too), "kv1/app" (KV v1), or a dynamic
	// engine's path such as "database/creds/billing". Each distinct path is
	// read once per sync.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^[^/\s]+(/[^/\s]+)*$`
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(s, s == '..' || s == '.')",message="path must not contain '.' or '..' segments"
	// +required
	Path string `json:"path"`

	// Key is the key inside the Vault secret. Without key, the entry copies
	// every key of the path (a whole path).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Key string `json:"key,omitempty"`

	// TargetKey is the key in the Kubernetes Secret (and the file name under
	// /etc/secrets/vault). Required with key, not allowed without it.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +kubebuilder:validation:XValidation:rule="self != '.' && self != '..' && !self.startsWith('..')",message="must not be '.', '..' or start with '..' (the kubelet keeps its own files under such names)"
	// +optional
	TargetKey string `json:"targetKey,omitempty"`

	// Include (whole path only) keeps the keys matching at least one of these
	// regular expressions (RE2 syntax, unanchored: use ^ and $ to match a
	// whole key). Empty keeps every key.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.all(r, ''.matches(r) || !''.matches(r))",message="include must hold RE2 regular expressions"
	// +listType=atomic
	// +optional
	Include []string `json:"include,omitempty"`

	// Exclude (whole path only) drops the keys matching any of these regular
	// expressions (RE2 syntax, unanchored), after include.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.all(r, ''.matches(r) || !''.matches(r))",message="exclude must hold RE2 regular expressions"
	// +listType=atomic
	// +optional
	Exclude []string `json:"exclude,omitempty"`

	// Prefix (whole path only) is put before every key of the path, e.g.
	// "db_" makes Vault's "password" the Secret key "db_password".
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('..')",message="must not start with '..' (the kubelet keeps its own files under such names)"
	// +optional
	Prefix string `json:"prefix,omitempty"`
}

// IssueSpec is a request to an engine that issues secrets on write.
// +kubebuilder:validation:XValidation:rule="has(self.pki) != has(self.params)",message="set exactly one of pki and params"
type IssueSpec struct {
	// Path is the engine path written to, e.g. "pki/issue/web".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^[^/\s]+(/[^/\s]+)*$`
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(s, s == '..' || s == '.')",message="path must not contain '.' or '..' segments"
	// +required
	Path string `json:"path"`

	// PKI is a certificate request to Vault's PKI engine. The response's
	// keys are certificate, private_key, issuing_ca, ca_chain (a list,
	// joined into one PEM bundle) and serial_number.
	// +optional
	PKI *PKIIssue `json:"pki,omitempty"`

	// Params are the request parameters of any other engine, as strings
	// (e.g. kubernetes_namespace for kubernetes/creds/<role>): names of
	// letters, digits, '_', '-' and '.' up to 128 characters, values up to
	// 4096 characters.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 128 && k.matches('^[A-Za-z0-9_.-]+$'))",message="params names must be 1 to 128 letters, digits, '_', '-' or '.'"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].size() <= 4096)",message="params values must be at most 4096 characters"
	// +optional
	Params map[string]string `json:"params,omitempty"`
}

// PKIIssue is a certificate request.
type PKIIssue struct {
	// CommonName is the certificate's common name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	CommonName string `json:"commonName"`

	// AltNames are DNS subject alternative names.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=253
	// +optional
	AltNames []string `json:"altNames,omitempty"`

	// IPSANs are IP subject alternative names.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=45
	// +optional
	IPSANs []string `json:"ipSans,omitempty"`

	// TTL is the certificate's validity, from 10s to 87600h (10 years), e.g.
	// "720h" (default: the PKI role's). The certificate is re-issued after
	// --lease-renew-fraction of it (two thirds by default).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:Pattern=`^([0-9]{1,6}([.][0-9]{1,9})?(s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]{1,6}([.][0-9]{1,9})?(s|m|h))+$') || self.size() > 20 || (duration(self) >= duration('10s') && duration(self) <= duration('87600h'))",message="ttl must be at least 10s and at most 87600h"
	// +optional
	TTL *Duration `json:"ttl,omitempty"`
}

// LeaseSpec tunes the lifecycle of dynamic secrets.
type LeaseSpec struct {
	// RevokeOnDelete revokes the VaultApp's leases when it is deleted
	// (default true). Set false to let them expire on their own.
	// +optional
	RevokeOnDelete *bool `json:"revokeOnDelete,omitempty"`

	// RevokeGracePeriod is how long replaced credentials stay valid after
	// the pods using the new ones are ready (rolloutStrategy restart), or
	// after the Secret was updated (none; at least 2m by default, so the
	// kubelet has refreshed the files): from 0s to 168h. Default:
	// --lease-revoke-grace (30s).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:Pattern=`^([0-9]{1,6}([.][0-9]{1,9})?(s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]{1,6}([.][0-9]{1,9})?(s|m|h))+$') || self.size() > 20 || duration(self) <= duration('168h')",message="revokeGracePeriod must be at most 168h"
	// +optional
	RevokeGracePeriod *Duration `json:"revokeGracePeriod,omitempty"`
}
