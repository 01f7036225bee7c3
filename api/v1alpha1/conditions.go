package v1alpha1

// Condition types of a VaultApp. Every step of a reconcile owns one; Ready
// summarises them (the first failing one gives its reason and message).
const (
	// ConditionReady is True when every other condition is True.
	ConditionReady = "Ready"
	// ConditionVaultAuthenticated: the operator could log in with spec.vault.role.
	ConditionVaultAuthenticated = "VaultAuthenticated"
	// ConditionSecretsSynced: every value was read and the Secret holds it.
	ConditionSecretsSynced = "SecretsSynced"
	// ConditionDeploymentReady: the Deployment runs the current spec with all replicas available.
	ConditionDeploymentReady = "DeploymentReady"
	// ConditionMonitoringReady: the Service and ServiceMonitor exist (or monitoring is disabled).
	ConditionMonitoringReady = "MonitoringReady"
	// ConditionLeasesHealthy (only with dynamic secrets): every lease is
	// alive and renewed on time; its message names the nearest expiry and the
	// last rotation and why.
	ConditionLeasesHealthy = "LeasesHealthy"
)

// Reasons of VaultApp conditions and of the events on VaultApps and on
// push-synced Deployments. Events use the same reasons as the conditions
// they accompany; a failure both controllers can meet (a refused login, a
// path the policy does not allow) has one reason in both.
const (
	// ReasonSucceeded: the step did what it should.
	ReasonSucceeded = "Succeeded"
	// ReasonProgressing: the reconcile has not reached this step yet.
	ReasonProgressing = "Progressing"
	// ReasonAuthFailed: Vault rejected the login (unknown role, service account not bound).
	// Push sync reports a refused login with the same reason.
	ReasonAuthFailed = "AuthFailed"
	// ReasonVaultUnavailable: Vault could not be reached, is sealed, or answered 5xx.
	ReasonVaultUnavailable = "VaultUnavailable"
	// ReasonPermissionDenied: the role's policies do not allow reading a path.
	ReasonPermissionDenied = "PermissionDenied"
	// ReasonPathNotFound: nothing is stored at a path, or no engine is mounted there.
	ReasonPathNotFound = "PathNotFound"
	// ReasonKeyNotFound: a path exists but lacks a requested key.
	ReasonKeyNotFound = "KeyNotFound"
	// ReasonSecretDeleted: the latest KV v2 version is deleted or destroyed; the last good Secret is kept.
	ReasonSecretDeleted = "SecretDeleted"
	// ReasonRoleNotAllowed: the operator's policy does not let this namespace use spec.vault.role.
	ReasonRoleNotAllowed = "RoleNotAllowed"
	// ReasonPathNotAllowed: the operator's policy does not let this namespace use a path.
	ReasonPathNotAllowed = "PathNotAllowed"
	// ReasonInvalidSpec: the spec is invalid in a way the CRD schema cannot
	// catch, or was admitted by an older CRD (VaultApp.ValidateSpec).
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonKeyConflict: two sources (entries of spec.vault.secrets, whole
	// paths, templates) produce the same Secret key; the message names both.
	// Nothing is written: never a silent overwrite.
	ReasonKeyConflict = "KeyConflict"
	// ReasonTemplateFailed: a template of spec.secret.templates did not
	// render; the message names the template and its line, never a value.
	// The Secret keeps its last good data.
	ReasonTemplateFailed = "TemplateFailed"
	// ReasonSecretTypeInvalid: the data lacks a key the Secret's type
	// requires (tls.crt and tls.key, or .dockerconfigjson), or the value is
	// not what the type needs (PEM, JSON with auths).
	ReasonSecretTypeInvalid = "SecretTypeInvalid"
	// ReasonNameConflict: an object the VaultApp would manage (Secret,
	// Deployment, Service, ServiceMonitor) exists and is not controlled by
	// it; the operator leaves it alone.
	ReasonNameConflict = "NameConflict"
	// ReasonSecretWriteFailed: the Kubernetes Secret could not be written.
	ReasonSecretWriteFailed = "SecretWriteFailed"
	// ReasonDeploymentApplyFailed: the Deployment could not be created or updated.
	ReasonDeploymentApplyFailed = "DeploymentApplyFailed"
	// ReasonDeploymentProgressing: the Deployment is rolling out.
	ReasonDeploymentProgressing = "DeploymentProgressing"
	// ReasonRolloutQueued: the Secret holds new data; the rollout waits for
	// its turn (--max-rollouts-per-second).
	ReasonRolloutQueued = "RolloutQueued"
	// ReasonDeploymentAvailable: every replica runs the current template and is available.
	ReasonDeploymentAvailable = "DeploymentAvailable"
	// ReasonMonitoringDisabled: spec.monitoring is absent or disabled; nothing to scrape.
	ReasonMonitoringDisabled = "MonitoringDisabled"
	// ReasonServiceMonitorCRDMissing: prometheus-operator's ServiceMonitor CRD is not installed.
	ReasonServiceMonitorCRDMissing = "ServiceMonitorCRDMissing"
	// ReasonServiceMonitorApplyFailed: the ServiceMonitor could not be written.
	ReasonServiceMonitorApplyFailed = "ServiceMonitorApplyFailed"
	// ReasonServiceMonitorRejected: a Prometheus that selects the
	// ServiceMonitor reported it invalid (prometheus-operator's status
	// bindings, feature gate StatusForConfigurationResources).
	ReasonServiceMonitorRejected = "ServiceMonitorRejected"
	// ReasonServiceApplyFailed: the metrics Service could not be written.
	ReasonServiceApplyFailed = "ServiceApplyFailed"
	// ReasonNoMetricsPort: no container port has the name spec.monitoring.port.
	ReasonNoMetricsPort = "NoMetricsPort"
	// ReasonLeasesValid: every dynamic secret is valid and renewed on schedule.
	ReasonLeasesValid = "LeasesValid"
	// ReasonLeaseRenewalFailed: a lease could not be looked up or renewed; the current credentials are kept.
	ReasonLeaseRenewalFailed = "LeaseRenewalFailed"
	// ReasonCredentialsRotated (event): new credentials were issued; the message says why.
	ReasonCredentialsRotated = "CredentialsRotated"
	// ReasonLeaseRevoked (event): replaced credentials were revoked after their grace period.
	ReasonLeaseRevoked = "LeaseRevoked"
	// ReasonLeaseRevokeFailed: a lease could not be revoked; the finalizer stays and the revocation is retried.
	ReasonLeaseRevokeFailed = "LeaseRevokeFailed"
	// ReasonDriftRepaired (event): a managed object was changed or deleted by
	// someone else and the operator restored it.
	ReasonDriftRepaired = "DriftRepaired"
	// ReasonRolloutStarted (event): the Deployment's pods are being replaced;
	// the message says why (new secret data, spec change).
	ReasonRolloutStarted = "RolloutStarted"
	// ReasonSecretRotated (event): the Secret's data changed in Vault and was updated.
	ReasonSecretRotated = "SecretRotated"
)

// Event reasons of push sync, shown by `kubectl describe deployment`
// (with ReasonAuthFailed and ReasonPathNotAllowed above).
const (
	// ReasonSynced: data was written to Vault.
	ReasonSynced = "Synced"
	// ReasonRestored: the periodic reconcile rewrote data deleted or changed in Vault.
	ReasonRestored = "Restored"
	// ReasonCleanedUp: data the operator wrote was removed from Vault.
	ReasonCleanedUp = "CleanedUp"
	// ReasonPreserved: the Deployment went, its Vault data was kept (preserve-on-delete).
	ReasonPreserved = "Preserved"
	// ReasonInvalidConfig: a vault-sync.io annotation is invalid.
	ReasonInvalidConfig = "InvalidConfig"
	// ReasonSecretNotFound: a referenced Secret does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonSecretKeyMissing: a selected key is not in its Secret.
	ReasonSecretKeyMissing = "SecretKeyMissing"
	// ReasonVaultWriteFailed: a Vault write (or the mount look-up before it) failed.
	ReasonVaultWriteFailed = "VaultWriteFailed"
	// ReasonVaultPathConflict: the path holds data another object (or someone
	// outside the operator) wrote; nothing is written or deleted there.
	ReasonVaultPathConflict = "VaultPathConflict"
	// ReasonVaultDeleteFailed: removing data from Vault failed; the finalizer stays and it is retried.
	ReasonVaultDeleteFailed = "VaultDeleteFailed"
	// ReasonRecordNotTrusted: the vault-sync.io/state annotation was not
	// sealed by this operator for this Deployment (edited, copied, or from
	// an older version); its locations are not trusted.
	ReasonRecordNotTrusted = "RecordNotTrusted"
)

// Names shared by the operator and users.
const (
	// SecretVersionAnnotation is the pod template annotation holding the hash of the Secret's data.
	SecretVersionAnnotation = "vaultapp.techweaver.io/secret-version"
	// ManagedByLabel marks objects the operator manages for VaultApps.
	ManagedByLabel = "app.techweaver.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel.
	ManagedByValue = "vault-sync-operator"
	// VaultAppNameLabel names the VaultApp owning an object.
	VaultAppNameLabel = "app.techweaver.io/vaultapp"
	// SecretsVolumeName is the pod volume of the Secret.
	SecretsVolumeName = "vault-secrets"
	// SecretsMountPath is where every container sees the Secret's files.
	SecretsMountPath = "/etc/secrets/vault"
	// AdoptAnnotation, set by a user on an existing Deployment, Secret,
	// Service or ServiceMonitor to the name of a VaultApp, lets that VaultApp
	// take the object over (it becomes its controller: deleting the VaultApp
	// then deletes the object). Without it an existing object is never taken.
	AdoptAnnotation = "vaultapp.techweaver.io/adopt"
	// RevokeLeasesFinalizer keeps a deleted VaultApp until its leases are revoked.
	RevokeLeasesFinalizer = "vaultapp.techweaver.io/revoke-leases"
	// RefreshRequestedAnnotation on a VaultApp asks the operator to re-read
	// Vault at once. Any new value is one request, e.g.
	// kubectl annotate vaultapp NAME vaultapp.techweaver.io/refresh-requested-at="$(date +%s)" --overwrite
	// status.lastHandledRefreshRequest records the value handled, so each
	// request runs once.
	RefreshRequestedAnnotation = "vaultapp.techweaver.io/refresh-requested-at"
)

// SecretNameFor is the name of the Secret a VaultApp writes.
func SecretNameFor(appName string) string { return appName + "-vault-secrets" }
