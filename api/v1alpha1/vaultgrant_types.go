package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VaultGrantSpec says which Vault roles and paths the objects of some
// namespaces may use through the operator's own Vault identity.
// +kubebuilder:validation:XValidation:rule="has(self.vaultAppRoles) || has(self.readPaths) || has(self.writePaths)",message="a grant must grant something: vaultAppRoles, readPaths or writePaths"
type VaultGrantSpec struct {
	// Namespaces the grant applies to: namespace names, or "*" for every
	// namespace (use {{namespace}} in the templates below to keep each
	// namespace to its own roles and paths).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:Pattern=`^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`
	// +kubebuilder:validation:items:MaxLength=63
	// +listType=set
	// +required
	Namespaces []string `json:"namespaces"`

	// VaultAppRoles are the Vault roles VaultApps in these namespaces may
	// log in with (spec.vault.role at spec.vault.authPath). The operator's
	// own role is never usable by a VaultApp, whatever a grant says.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	VaultAppRoles []GrantedRole `json:"vaultAppRoles,omitempty"`

	// ReadPaths are the Vault paths VaultApps in these namespaces may read
	// (spec.vault.secrets[].path, matched as written in the spec).
	// Templates: {{namespace}} and {{cluster}} are filled in; a final "/*"
	// matches every path below (at least one more segment); "*" alone
	// matches every path.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=512
	// +listType=set
	// +optional
	ReadPaths []string `json:"readPaths,omitempty"`

	// WritePaths are the Vault paths the operator may write for objects of
	// these namespaces: push sync's KV secrets (matched as
	// <mount>/data/<path> for KV v2, <mount>/<path> for KV v1, after the
	// cluster prefix) and the engines VaultApps issue from
	// (spec.vault.issue[].path). Same templates as readPaths.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=512
	// +listType=set
	// +optional
	WritePaths []string `json:"writePaths,omitempty"`
}

// GrantedRole is a Vault role at an auth mount.
type GrantedRole struct {
	// AuthPath is the auth mount of the role; empty means the operator's
	// own (--vault-auth-path, by default the method's name).
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-]+)*$`
	// +optional
	AuthPath string `json:"authPath,omitempty"`

	// Name is the role name, exactly or as a template with {{namespace}}
	// and {{cluster}} (matched exactly after filling them in, so
	// "{{namespace}}-app" never matches another namespace's role); "*"
	// alone allows every role at the mount.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
}

// VaultGrant is the platform team's grant to some namespaces: the Vault
// roles their VaultApps may log in with and the paths the operator may
// read and write for them, in operator-identity mode (the operator's own
// service account logs in for every object). Without a grant a namespace
// can use nothing. Cluster-scoped: only cluster admins create one, and no
// namespaced object can widen it.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=vgrant;vgrants
// +kubebuilder:printcolumn:name="Namespaces",type=string,JSONPath=`.spec.namespaces`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type VaultGrant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what is granted, to which namespaces.
	// +required
	Spec VaultGrantSpec `json:"spec"`
}

// VaultGrantList is a list of VaultGrants.
// +kubebuilder:object:root=true
type VaultGrantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the VaultGrants.
	Items []VaultGrant `json:"items"`
}

func init() {
	SchemeBuilder.Register(&VaultGrant{}, &VaultGrantList{})
}
