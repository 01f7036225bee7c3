package controller

// Event reasons of push sync, shown by `kubectl describe deployment`.
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
	// ReasonVaultAuthFailed: the operator could not log in to Vault.
	ReasonVaultAuthFailed = "VaultAuthFailed"
	// ReasonVaultWriteFailed: a Vault write (or the mount look-up before it) failed.
	ReasonVaultWriteFailed = "VaultWriteFailed"
	// ReasonVaultPathConflict: the path holds data another object (or someone
	// outside the operator) wrote; nothing is written or deleted there.
	ReasonVaultPathConflict = "VaultPathConflict"
	// ReasonPathNotAllowed: the operator's path policy refuses the location for this namespace.
	ReasonPathNotAllowed = "PathNotAllowed"
	// ReasonVaultDeleteFailed: removing data from Vault failed; the finalizer stays and it is retried.
	ReasonVaultDeleteFailed = "VaultDeleteFailed"
)
