package v1alpha1

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VaultAppSpec declares an application: its Deployment, the Vault secrets
// it needs and how it is monitored.
type VaultAppSpec struct {
	// DeploymentSpec is the application's Deployment. The operator adds the
	// volume "vault-secrets" (the Secret <name>-vault-secrets) mounted
	// read-only at /etc/secrets/vault in every container, and the pod
	// template annotation vaultapp.techweaver.io/secret-version.
	// +required
	DeploymentSpec appsv1.DeploymentSpec `json:"deploymentSpec"`

	// Vault says how to log in to Vault and which secrets to read.
	// +required
	Vault VaultSpec `json:"vault"`

	// Monitoring makes Prometheus scrape the application (a Service and a
	// prometheus-operator ServiceMonitor).
	// +optional
	Monitoring *MonitoringSpec `json:"monitoring,omitempty"`

	// RolloutStrategy says what happens to the pods when the Secret's data
	// changes: "restart" (default) rolls the Deployment through the pod
	// template annotation vaultapp.techweaver.io/secret-version; "none"
	// updates the Secret in place and lets the kubelet refresh the mounted
	// files (within about a minute) without a rollout, for applications that
	// re-read their files.
	// +kubebuilder:validation:Enum=restart;none
	// +optional
	RolloutStrategy RolloutStrategy `json:"rolloutStrategy,omitempty"`
}

// RolloutStrategy is what a data change does to the pods.
type RolloutStrategy string

const (
	// RolloutRestart rolls the pods when the data changes.
	RolloutRestart RolloutStrategy = "restart"
	// RolloutNone leaves the pods running; the kubelet updates the files.
	RolloutNone RolloutStrategy = "none"
)

// VaultSpec is the Vault side of a VaultApp.
// +kubebuilder:validation:XValidation:rule="!has(self.issue) || self.issue.all(i, self.secrets.exists(s, s.path == i.path))",message="every issue[].path must also be the path of an entry in secrets (which keys go where)"
type VaultSpec struct {
	// Role is the Vault Kubernetes auth role the operator logs in with to
	// read this application's secrets.
	// +kubebuilder:validation:MinLength=1
	// +required
	Role string `json:"role"`

	// AuthMethod is the Vault auth method to log in with: "kubernetes"
	// (Vault asks the apiserver to review the service-account token) or
	// "jwt" (Vault checks the token against the cluster's OIDC issuer keys).
	// Empty means the operator's --vault-auth-method.
	// +kubebuilder:validation:Enum=kubernetes;jwt
	// +optional
	AuthMethod string `json:"authMethod,omitempty"`

	// AuthPath is the mount path of the auth method; empty means the
	// operator's --vault-auth-path for its own method, otherwise the
	// method's name.
	// +optional
	AuthPath string `json:"authPath,omitempty"`

	// RefreshInterval is how often Vault is re-read to pick up rotated
	// values, a duration such as "90s", "5m" or "1h30m" of at least 10s
	// (default: the operator's --vaultapp-refresh-interval, 5m).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') || duration(self) >= duration('10s')",message="refreshInterval must be at least 10s"
	// +optional
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// Secrets maps Vault values to keys of the Secret. Each targetKey may
	// appear once (the apiserver rejects a duplicate as "Duplicate value").
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +listType=map
	// +listMapKey=targetKey
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

// IssueSpec is a request to an engine that issues secrets on write.
// +kubebuilder:validation:XValidation:rule="has(self.pki) != has(self.params)",message="set exactly one of pki and params"
type IssueSpec struct {
	// Path is the engine path written to, e.g. "pki/issue/web".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^[^/\s]+(/[^/\s]+)*$`
	// +required
	Path string `json:"path"`

	// PKI is a certificate request to Vault's PKI engine. The response's
	// keys are certificate, private_key, issuing_ca, ca_chain (a list,
	// joined into one PEM bundle) and serial_number.
	// +optional
	PKI *PKIIssue `json:"pki,omitempty"`

	// Params are the request parameters of any other engine, as strings
	// (e.g. kubernetes_namespace for kubernetes/creds/<role>).
	// +kubebuilder:validation:MaxProperties=32
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

	// TTL is the certificate's validity, e.g. "720h" (default: the PKI
	// role's). The certificate is re-issued after --lease-renew-fraction of
	// it (two thirds by default).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(s|m|h))+$`
	// +optional
	TTL *metav1.Duration `json:"ttl,omitempty"`
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
	// kubelet has refreshed the files). Default: --lease-revoke-grace (30s).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(s|m|h))+$`
	// +optional
	RevokeGracePeriod *metav1.Duration `json:"revokeGracePeriod,omitempty"`
}

// SecretRef is one value read from Vault.
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

	// Key is the key inside the Vault secret.
	// +kubebuilder:validation:MinLength=1
	// +required
	Key string `json:"key"`

	// TargetKey is the key in the Kubernetes Secret (and the file name under
	// /etc/secrets/vault).
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +required
	TargetKey string `json:"targetKey"`
}

// MonitoringSpec configures Prometheus scraping.
type MonitoringSpec struct {
	// Enabled creates the Service and ServiceMonitor; false removes them.
	// +required
	Enabled bool `json:"enabled"`

	// Port is the name of the container port serving metrics. Empty means
	// the first named port of the pod template's containers, in order.
	// +optional
	Port string `json:"port,omitempty"`

	// Path is the HTTP path of the metrics.
	// +kubebuilder:default=/metrics
	// +kubebuilder:validation:Pattern=`^/`
	// +optional
	Path string `json:"path,omitempty"`

	// Interval is the scrape interval (a Prometheus duration).
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Pattern=`^([0-9]+(ms|s|m|h))+$`
	// +optional
	Interval string `json:"interval,omitempty"`
}

// VaultAppStatus is what the operator observed.
type VaultAppStatus struct {
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready (summary), VaultAuthenticated, SecretsSynced,
	// DeploymentReady, MonitoringReady.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// SecretName is the Secret holding the values read from Vault.
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// SecretVersion is the hash of the Secret's data, the value of the pod
	// template annotation vaultapp.techweaver.io/secret-version.
	// +optional
	SecretVersion string `json:"secretVersion,omitempty"`

	// LastSecretUpdateTime is when the Secret's data last changed. (When
	// Vault was last read is the metric
	// vault_sync_operator_vaultapp_last_success_timestamp_seconds: a status
	// field would turn every refresh into an API write.)
	// +optional
	LastSecretUpdateTime *metav1.Time `json:"lastSecretUpdateTime,omitempty"`

	// Leases are the dynamic secrets (leases and certificates) whose values
	// are in the Secret. Never a secret value: ids and times only.
	// +listType=map
	// +listMapKey=path
	// +optional
	Leases []LeaseStatus `json:"leases,omitempty"`

	// RetiringLeases are replaced credentials still valid for the pods
	// that use them; each is revoked once the new ones are rolled out and
	// its grace period has passed.
	// +optional
	RetiringLeases []RetiringLease `json:"retiringLeases,omitempty"`
}

// LeaseStatus describes the dynamic secret behind one path.
type LeaseStatus struct {
	// Path is the Vault path the secret came from.
	Path string `json:"path"`
	// LeaseID is Vault's lease id (empty for a certificate without a lease).
	// +optional
	LeaseID string `json:"leaseID,omitempty"`
	// SerialNumber is the certificate's serial number (PKI).
	// +optional
	SerialNumber string `json:"serialNumber,omitempty"`
	// IssueTime is when the secret was issued.
	IssueTime metav1.Time `json:"issueTime"`
	// ExpireTime is when the credentials stop working: the lease's end as
	// last renewed, or the certificate's notAfter.
	ExpireTime metav1.Time `json:"expireTime"`
	// RenewTime is when the operator will next act: renew the lease, or
	// issue new credentials.
	RenewTime metav1.Time `json:"renewTime"`
	// Renewable tells whether Vault allows renewing the lease.
	// +optional
	Renewable bool `json:"renewable,omitempty"`
}

// RetiringLease is a replaced lease awaiting revocation.
type RetiringLease struct {
	// LeaseID is the lease to revoke.
	LeaseID string `json:"leaseID"`
	// ExpireTime is when it would end on its own.
	// +optional
	ExpireTime *metav1.Time `json:"expireTime,omitempty"`
	// RevokeTime is when it will be revoked; unset until the pods using the
	// new credentials are ready.
	// +optional
	RevokeTime *metav1.Time `json:"revokeTime,omitempty"`
}

// VaultApp is an application whose Deployment gets its secrets from Vault.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=va;vapp,categories=all
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.secretName`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type VaultApp struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the application the operator runs and the Vault values it gets.
	// +required
	Spec VaultAppSpec `json:"spec"`

	// Status is what the operator last observed; see status.conditions.
	// +optional
	Status VaultAppStatus `json:"status,omitempty"`
}

// VaultAppList is a list of VaultApps.
// +kubebuilder:object:root=true
type VaultAppList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the VaultApps.
	Items []VaultApp `json:"items"`
}

func init() {
	SchemeBuilder.Register(&VaultApp{}, &VaultAppList{})
}
