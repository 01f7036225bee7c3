package vault

import (
	"flag"
	"fmt"
	"os"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// Config says how to reach Vault and how the operator logs in. Defaults come
// from the usual VAULT_* environment variables, flags override them.
type Config struct {
	// Address of the Vault server (VAULT_ADDR).
	Address string
	// CACert is a PEM file with the CA that signed Vault's certificate (VAULT_CACERT).
	CACert string
	// Namespace is the Vault Enterprise namespace (VAULT_NAMESPACE).
	Namespace string
	// SkipVerify disables TLS verification. Only when explicitly asked (VAULT_SKIP_VERIFY).
	SkipVerify bool
	// AuthMethod is how the operator logs in: AuthKubernetes (default) or AuthJWT.
	AuthMethod string
	// AuthPath is the mount of the auth method (default: the method's name,
	// "kubernetes" or "jwt").
	AuthPath string
	// Role is the operator's own Kubernetes auth role.
	Role string
	// Timeout bounds every Vault request.
	Timeout time.Duration
	// MaxRequestSize is Vault's listener max_request_size: larger writes are
	// refused with a clear error before they are sent.
	MaxRequestSize int64
	// JWTAudience, when set, is the audience of service-account tokens requested for logins.
	JWTAudience string
}

// DefaultConfig returns the documented defaults with VAULT_* variables applied.
func DefaultConfig() Config {
	c := Config{
		Address:        "http://vault:8200",
		AuthMethod:     AuthKubernetes,
		Role:           "vault-sync-operator",
		Timeout:        30 * time.Second,
		MaxRequestSize: DefaultMaxRequestSize,
	}
	if v := os.Getenv("VAULT_ADDR"); v != "" {
		c.Address = v
	}
	c.CACert = os.Getenv("VAULT_CACERT")
	c.Namespace = os.Getenv("VAULT_NAMESPACE")
	c.SkipVerify = os.Getenv("VAULT_SKIP_VERIFY") == "true" || os.Getenv("VAULT_SKIP_VERIFY") == "1"
	return c
}

// BindFlags registers the Vault flags on fs, with c's values as defaults.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Address, "vault-addr", c.Address, "Vault server address (env VAULT_ADDR).")
	fs.StringVar(&c.CACert, "vault-ca-cert", c.CACert, "PEM file of the CA that signed Vault's TLS certificate (env VAULT_CACERT).")
	fs.StringVar(&c.Namespace, "vault-namespace", c.Namespace, "Vault Enterprise namespace (env VAULT_NAMESPACE).")
	fs.BoolVar(&c.SkipVerify, "vault-skip-verify", c.SkipVerify, "Skip TLS verification of Vault (env VAULT_SKIP_VERIFY). Never use in production.")
	fs.StringVar(&c.AuthMethod, "vault-auth-method", c.AuthMethod, "How the operator logs in to Vault: kubernetes (Vault asks the apiserver's TokenReview) or jwt (Vault checks the service-account token against the cluster's OIDC issuer keys).")
	fs.StringVar(&c.AuthPath, "vault-auth-path", c.AuthPath, "Mount path of the auth method (default: the method's name, kubernetes or jwt).")
	fs.StringVar(&c.Role, "vault-role", c.Role, "Vault Kubernetes auth role of the operator.")
	fs.DurationVar(&c.Timeout, "vault-timeout", c.Timeout, "Timeout of each Vault request.")
	fs.Int64Var(&c.MaxRequestSize, "vault-max-request-size", c.MaxRequestSize, "Vault's listener max_request_size in bytes: larger writes are refused with an error naming the limit, before anything is sent (0: not checked).")
	fs.StringVar(&c.JWTAudience, "vault-jwt-audience", c.JWTAudience, "Audience of the service-account tokens the operator requests for Vault logins (must match the Vault role's audience).")
}

// authPathFor is the mount of method: --vault-auth-path when it is the
// operator's own method, otherwise the method's default mount.
func (c Config) authPathFor(method string) string {
	if c.AuthPath != "" && (method == c.AuthMethod || (c.AuthMethod == "" && method == AuthKubernetes)) {
		return c.AuthPath
	}
	return method
}

// Complete fills an identity's empty method and auth mount with the
// configured ones.
func (c Config) Complete(id Identity) Identity {
	if id.Method == "" {
		id.Method = c.AuthMethod
	}
	if id.Method == "" {
		id.Method = AuthKubernetes
	}
	if id.AuthPath == "" {
		id.AuthPath = c.authPathFor(id.Method)
	}
	return id
}

// Validate checks the settings that cannot be checked by the client library.
func (c Config) Validate() error {
	switch c.AuthMethod {
	case "", AuthKubernetes, AuthJWT:
		return nil
	}
	return fmt.Errorf("--vault-auth-method=%q: must be kubernetes or jwt", c.AuthMethod)
}

// apiConfig builds the vault/api client configuration.
func (c Config) apiConfig() (*vaultapi.Config, error) {
	if c.Address == "" {
		return nil, fmt.Errorf("vault address is empty: set --vault-addr or VAULT_ADDR")
	}
	ac := vaultapi.DefaultConfig()
	if ac.Error != nil {
		return nil, fmt.Errorf("vault client defaults: %w", ac.Error)
	}
	ac.Address = c.Address
	ac.Timeout = c.Timeout
	// Retries are the workqueue's job: a failed request returns at once so the
	// item backs off instead of blocking a worker.
	ac.MaxRetries = 0
	// Every session clones the base client: without this the clones drop
	// its headers, the Vault Enterprise namespace (--vault-namespace) among them.
	ac.CloneHeaders = true
	tls := &vaultapi.TLSConfig{CACert: c.CACert, Insecure: c.SkipVerify}
	if err := ac.ConfigureTLS(tls); err != nil {
		return nil, fmt.Errorf("vault TLS configuration (CA %q): %w", c.CACert, err)
	}
	return ac, nil
}
