package integration

import (
	"testing"

	. "github.com/onsi/gomega"
)

// TestTroubleshootingExamples applies examples/troubleshooting and checks
// that each Deployment shows the event the troubleshooting guide promises.
func TestTroubleshootingExamples(t *testing.T) {
	RegisterTestingT(t)
	applyFile("../../examples/troubleshooting/errors.yaml")
	ns := "troubleshooting"
	eventuallyEvent(ns, "secret-not-found", `SecretNotFound: failed to get secret does-not-exist: secrets "does-not-exist" not found`)
	eventuallyEvent(ns, "key-missing", "SecretKeyMissing: key mykey not found in secret mysecret (available keys: a, b)")
	eventuallyEvent(ns, "bad-json", "InvalidConfig: failed to parse secrets annotation: invalid character")
	eventuallyEvent(ns, "bad-interval", `InvalidConfig: invalid reconcile interval "10s"`)
	eventuallyEvent(ns, "bad-path", `InvalidConfig: invalid vault-sync.io/path annotation: invalid vault path "/secret/data/x": must not start with '/'`)
	eventuallyEvent(ns, "permission-denied", `VaultWriteFailed: failed to write secret to vault: permission denied (path "restricted/data/troubleshooting/mysecret")`)
}
