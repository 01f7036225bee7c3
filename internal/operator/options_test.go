package operator

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

func TestDefaultOptionsAreValid(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRefusesMistakes(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"should refuse no reconcile workers", func(o *Options) { o.MaxConcurrentReconciles = 0 },
			"--max-concurrent-reconciles must be at least 1"},
		{"should refuse a service account without its namespace", func(o *Options) { o.VaultServiceAccount = "operator" },
			`--vault-service-account must be namespace/name, got "operator"`},
		{"should refuse a VaultApp refresh under 10s", func(o *Options) { o.VaultAppRefresh = 9 * time.Second },
			"--vaultapp-refresh-interval must be at least 10s"},
		{"should refuse a renew fraction under 0.1", func(o *Options) { o.LeaseRenewFraction = 0.05 },
			"--lease-renew-fraction must be between 0.1 and 0.9, got 0.05"},
		{"should refuse a renew fraction over 0.9", func(o *Options) { o.LeaseRenewFraction = 0.95 },
			"--lease-renew-fraction must be between 0.1 and 0.9, got 0.95"},
		{"should refuse a negative revoke grace", func(o *Options) { o.LeaseRevokeGrace = -time.Second },
			"--lease-revoke-grace must not be negative"},
		{"should refuse an unknown identity mode", func(o *Options) { o.VaultIdentity = "pod" },
			`--vault-identity="pod": must be operator or workload`},
		{"should refuse an unknown auth method", func(o *Options) { o.Vault.AuthMethod = "ldap" },
			`--vault-auth-method="ldap": must be kubernetes or jwt`},
		{"should refuse a renew deadline as long as the lease", func(o *Options) { o.LeaderRenew = o.LeaderLease },
			"leader election needs 0 < --leader-elect-retry-period (2s) < --leader-elect-renew-deadline (10s) < --leader-elect-lease-duration (10s)"},
		{"should refuse no retry period", func(o *Options) { o.LeaderRetry = 0 },
			"leader election needs 0 < --leader-elect-retry-period (0s) < --leader-elect-renew-deadline (7s) < --leader-elect-lease-duration (10s)"},
		{"should refuse a negative idle timeout", func(o *Options) { o.VaultClientIdleTimeout = -time.Second },
			"--vault-client-idle-timeout must not be negative"},
		{"should refuse a role template ambiguous between namespaces", func(o *Options) { o.AllowedVaultAppRoles = []string{"{{namespace}}-*"} },
			`--allowed-vaultapp-roles: role template "{{namespace}}-*": "*" is allowed only alone (a partial wildcard is ambiguous between namespaces; list the roles, or use {{namespace}} exactly)`},
		{"should refuse a path template with a wildcard inside", func(o *Options) { o.AllowedVaultPaths = []string{"secret/*/x"} },
			`--allowed-vault-paths: path template "secret/*/x": "*" is allowed only alone or as the last segment ("prefix/*")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			tc.change(&o)
			if err := o.Validate(); err == nil || err.Error() != tc.want {
				t.Fatalf("Validate = %v, want %s", err, tc.want)
			}
		})
	}
	for _, ok := range []func(*Options){
		func(o *Options) { o.VaultServiceAccount = "ops/operator" },
		func(o *Options) { o.VaultIdentity = IdentityWorkload },
		func(o *Options) { o.VaultIdentity = "" },
		func(o *Options) { o.LeaseRenewFraction, o.LeaseRevokeGrace, o.VaultAppRefresh = 0.1, 0, 10*time.Second },
		func(o *Options) { o.VaultClientIdleTimeout = 0 },
		func(o *Options) {
			o.AllowedVaultPaths, o.AllowedVaultAppRoles = []string{"secret/data/{{namespace}}/*"}, []string{"{{namespace}}-app", "*"}
		},
	} {
		o := DefaultOptions()
		ok(&o)
		if err := o.Validate(); err != nil {
			t.Errorf("valid options %+v refused: %v", o, err)
		}
	}
}

func TestBindFlagsParsesEveryFlag(t *testing.T) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	o.BindFlags(fs)
	args := map[string]string{
		"vault-addr": "https://v:8200", "vault-ca-cert": "/ca.pem", "vault-namespace": "ns", "vault-skip-verify": "true",
		"vault-auth-method": "jwt", "vault-auth-path": "oidc", "vault-role": "op", "vault-timeout": "7s",
		"vault-max-request-size": "1024", "vault-jwt-audience": "aud",
		"vault-jwt-file": "/jwt", "vault-service-account": "ops/op", "metrics-bind-address": ":9090",
		"health-probe-bind-address": ":9091", "pprof-bind-address": ":6060", "leader-elect": "true",
		"leader-election-namespace": "ops", "leader-elect-lease-duration": "20s", "leader-elect-renew-deadline": "15s",
		"leader-elect-retry-period": "3s", "cluster-name": "prod", "watch-namespaces": "a, ,b",
		"allowed-vault-paths": "secret/data/{{namespace}}/*", "allowed-vaultapp-roles": "{{namespace}}-*,shared",
		"max-concurrent-reconciles": "4", "kube-api-qps": "50.5", "kube-api-burst": "100",
		"vaultapp-refresh-interval": "1m", "lease-renew-fraction": "0.5", "lease-revoke-grace": "1m",
		"max-rollouts-per-second": "2.5", "vault-identity": "workload", "workload-push-role": "push-{{namespace}}",
		"vault-token-store-namespace": "tokens", "vault-token-check-interval": "30s",
		"operator-namespace": "ops-state", "vault-client-idle-timeout": "10m",
	}
	var argv []string
	for k, v := range args {
		argv = append(argv, "--"+k+"="+v)
	}
	argv = append(argv, "--watch-namespaces=c") // repeated list flags add up
	if err := fs.Parse(argv); err != nil {
		t.Fatal(err)
	}
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := args[f.Name]; !ok {
			t.Errorf("flag --%s is not covered by this test", f.Name)
		}
	})
	want := Options{
		Vault: vault.Config{Address: "https://v:8200", CACert: "/ca.pem", Namespace: "ns", SkipVerify: true, AuthMethod: "jwt",
			AuthPath: "oidc", Role: "op", Timeout: 7 * time.Second, MaxRequestSize: 1024, JWTAudience: "aud"},
		VaultJWTFile: "/jwt", VaultServiceAccount: "ops/op", MetricsAddr: ":9090", ProbeAddr: ":9091", PprofAddr: ":6060",
		LeaderElect: true, LeaderElectionNS: "ops", LeaderLease: 20 * time.Second, LeaderRenew: 15 * time.Second, LeaderRetry: 3 * time.Second, ClusterName: "prod", WatchNamespaces: []string{"a", "b", "c"},
		AllowedVaultPaths: []string{"secret/data/{{namespace}}/*"}, AllowedVaultAppRoles: []string{"{{namespace}}-*", "shared"},
		MaxConcurrentReconciles: 4, KubeAPIQPS: 50.5, KubeAPIBurst: 100, VaultAppRefresh: time.Minute, LeaseRenewFraction: 0.5,
		LeaseRevokeGrace: time.Minute, MaxRolloutsPerSecond: 2.5, VaultIdentity: IdentityWorkload, WorkloadPushRole: "push-{{namespace}}",
		VaultTokenStoreNamespace: "tokens", VaultTokenCheck: 30 * time.Second,
		OperatorNamespace: "ops-state", VaultClientIdleTimeout: 10 * time.Minute,
	}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("parsed\n%+v\nwant\n%+v", o, want)
	}
}

func TestBindFlagsRefusesANonNumericQPS(t *testing.T) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--kube-api-qps=fast"}); err == nil || !strings.Contains(err.Error(), "kube-api-qps") {
		t.Fatalf("Parse = %v, want an error naming the flag", err)
	}
}
