package v1alpha1

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VaultAppSpec declares an application: its Deployment, the Vault secrets
// it needs and how it is monitored.
// +kubebuilder:validation:XValidation:rule="!has(self.secret) || !has(self.secret.templates) || (has(self.secret.excludeRaw) && self.secret.excludeRaw) || self.secret.templates.all(t, !self.vault.secrets.exists(s, has(s.targetKey) && s.targetKey == t.name))",message="a template's name is also the targetKey of a secrets entry: each Secret key has one source"
// +kubebuilder:validation:XValidation:rule="!has(self.secret) || !has(self.secret.excludeRaw) || !self.secret.excludeRaw || !has(self.vault.issue) || size(self.vault.issue) == 0",message="excludeRaw cannot be used with spec.vault.issue: the operator keeps an issued secret's values in the Secret to renew it without issuing new credentials"
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

	// Secret shapes the Secret <name>-vault-secrets: its type, labels,
	// annotations and keys rendered from templates. Without it the Secret is
	// Opaque and holds exactly the values the secrets entries produce.
	// +optional
	Secret *SecretSpec `json:"secret,omitempty"`

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

// MonitoringSpec configures Prometheus scraping.
type MonitoringSpec struct {
	// Enabled creates the Service and ServiceMonitor; false removes them.
	// +required
	Enabled bool `json:"enabled"`

	// Port is the name of the container port serving metrics. Empty means
	// the first named port of the pod template's containers, in order.
	// +kubebuilder:validation:MaxLength=15
	// +optional
	Port string `json:"port,omitempty"`

	// Path is the HTTP path of the metrics.
	// +kubebuilder:default=/metrics
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	// +optional
	Path string `json:"path,omitempty"`

	// Interval is the scrape interval, from 1s to 1h, as Prometheus writes
	// durations: hours, minutes, seconds, milliseconds in that order, e.g.
	// "30s" or "1m30s".
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:Pattern=`^([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?([0-9]{1,6}ms)?$`
	// +kubebuilder:validation:XValidation:rule="self == '' || !self.matches('^([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?([0-9]{1,6}ms)?$') || self.size() > 20 || (duration(self) >= duration('1s') && duration(self) <= duration('1h'))",message="interval must be at least 1s and at most 1h"
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

	// SourceVersion is a keyed hash of the values read from Vault, before
	// templates: when SecretVersion changes and SourceVersion does not, a
	// template changed, not the data (the rollout's reason).
	// +kubebuilder:validation:MaxLength=64
	// +optional
	SourceVersion string `json:"sourceVersion,omitempty"`

	// LastHandledRefreshRequest is the value of the annotation
	// vaultapp.techweaver.io/refresh-requested-at that the operator last
	// acted on: a different value makes it re-read Vault at once.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	LastHandledRefreshRequest string `json:"lastHandledRefreshRequest,omitempty"`

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
// Its name is also the name of its Deployment and Service and the value of
// the label app.techweaver.io/vaultapp, so it must be a DNS-1035 label.
// +kubebuilder:object:root=true
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be at most 63 lowercase letters, digits or '-', start with a letter and end with a letter or digit (a DNS-1035 label): it names the Deployment and the Service and is the value of the label app.techweaver.io/vaultapp"
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
