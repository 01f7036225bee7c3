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
}

// VaultSpec is the Vault side of a VaultApp.
type VaultSpec struct {
	// Role is the Vault Kubernetes auth role the operator logs in with to
	// read this application's secrets.
	// +kubebuilder:validation:MinLength=1
	// +required
	Role string `json:"role"`

	// AuthPath is the mount path of the Kubernetes auth method; empty means
	// the operator's --vault-auth-path.
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
