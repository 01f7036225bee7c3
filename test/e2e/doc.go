// Package e2e is the framework the integration suites, the sandbox and the
// benchmark share on top of the rig (test/rig): one shared environment per
// suite started from TestMain (Main, Env), the operator in-process
// (StartInProcess) or as its own process (StartProcess, with Stop, Kill and
// Restart), with its flags built in one place (operatorArgs); VaultApp
// conditions, events and status; Vault reads, writes, policies and roles as
// root; builders of the objects tests create; the operator's log capture
// and metrics (Metrics, Metric).
//
// Helpers whose name starts with Eventually, and the pollers meant for
// Gomega's Eventually/Consistently (func() T), say in their doc comment
// what they wait for and for how long. Helpers that assert (Create,
// PutKV, Namespace, LoadVaultApp, ...) use Gomega's global Expect, so the
// calling test must have called RegisterTestingT(t); helpers that return
// an error or a value (WaitFor, StartProcess, ReadKV, ...) need no Gomega
// and are what the sandbox and the benchmark use.
//
// The package does not import "testing": the sandbox and the benchmark link
// it into ordinary binaries. Where it needs a test it takes the small
// interface it uses (TB).
package e2e
