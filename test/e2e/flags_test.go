package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/test/rig"
)

func TestOperatorArgsParseAsTheBinaryDoesAndCallerFlagsWin(t *testing.T) {
	e := &Env{Rig: &rig.Rig{Vault: &rig.Vault{Addr: "http://127.0.0.1:8200"}}}
	l := endpoints{MetricsAddr: "0", ProbeAddr: "127.0.0.1:9", PprofAddr: ""}
	args := e.operatorArgs(l, []string{"--kubeconfig=/x", "--zap-log-level=error", "--vaultapp-refresh-interval=10s",
		"--health-probe-bind-address=127.0.0.1:8081"})
	o, err := ParseOperatorFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	if o.Vault.Address != "http://127.0.0.1:8200" || o.VaultServiceAccount != rig.OperatorNamespace+"/"+rig.OperatorServiceAccount {
		t.Errorf("vault %q, service account %q", o.Vault.Address, o.VaultServiceAccount)
	}
	if o.MetricsAddr != "0" || o.ProbeAddr != "127.0.0.1:8081" || o.PprofAddr != "" {
		t.Errorf("listeners: metrics %q probe %q pprof %q (the caller's probe address must win)", o.MetricsAddr, o.ProbeAddr, o.PprofAddr)
	}
	if o.VaultAppRefresh != 10*time.Second {
		t.Errorf("refresh %s", o.VaultAppRefresh)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("the rig's flags do not validate: %v", err)
	}
	if _, err := ParseOperatorFlags([]string{"--no-such-flag"}); err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Errorf("unknown flag: err = %v", err)
	}
}
