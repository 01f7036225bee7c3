package vaultapp

// Why the operator rolls a Deployment (label of vaultapp_rollouts_total,
// and the RolloutStarted event).
const (
	rolloutDataChanged     = "data_changed"     // a value read from Vault changed
	rolloutTemplateChanged = "template_changed" // spec.secret changed what is rendered from the same values
	rolloutSpecChanged     = "spec_changed"     // the VaultApp's deploymentSpec changed
)

var rolloutWhy = map[string]string{
	rolloutDataChanged:     "a value read from Vault changed",
	rolloutTemplateChanged: "spec.secret changed what is rendered from the same values",
	rolloutSpecChanged:     "the VaultApp's deploymentSpec changed",
}
