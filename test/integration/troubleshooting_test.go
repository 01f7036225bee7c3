package integration

import (
	"testing"

	. "github.com/onsi/gomega"
)

// TestTroubleshootingExamples applies examples/troubleshooting and checks
// that each Deployment shows the event the troubleshooting guide promises.
func TestTroubleshootingExamples(t *testing.T) {
	RegisterTestingT(t)
	env.ApplyFile("examples/troubleshooting/errors.yaml")
	ns := "troubleshooting"
	env.EventuallyEvent(ns, "secret-not-found", `SecretNotFound: failed to get secret does-not-exist: secrets "does-not-exist" not found`)
	env.EventuallyEvent(ns, "key-missing", "SecretKeyMissing: key mykey not found in secret mysecret (available keys: a, b)")
	env.EventuallyEvent(ns, "bad-json", "InvalidConfig: failed to parse secrets annotation: invalid character")
	env.EventuallyEvent(ns, "bad-interval", `InvalidConfig: invalid reconcile interval "10s"`)
	env.EventuallyEvent(ns, "bad-path", `InvalidConfig: invalid vault-sync.io/path annotation: invalid vault path "/secret/data/x": must not start with '/'`)
	env.EventuallyEvent(ns, "permission-denied", `VaultWriteFailed: failed to write secret to vault: permission denied (path "restricted/data/troubleshooting/mysecret")`)
}
