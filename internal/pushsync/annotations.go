// Package pushsync holds the rules of push sync, free of I/O: what the
// annotations on a Deployment ask for, which Secrets it references, what
// must be written to Vault, and what was written before.
package pushsync

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vault-sync-io/vault-sync-operator/internal/vault"
)

// AnnotationPrefix is the prefix of every annotation push sync reads or writes.
const AnnotationPrefix = "vault-sync.io/"

// The annotations users set on a Deployment.
const (
	AnnotationPath             = "vault-sync.io/path"
	AnnotationSecrets          = "vault-sync.io/secrets"
	AnnotationPreserveOnDelete = "vault-sync.io/preserve-on-delete"
	AnnotationReconcile        = "vault-sync.io/reconcile"
	// AnnotationRole is the Vault role the operator logs in to as the
	// Deployment's service account (workload-identity mode only).
	AnnotationRole = "vault-sync.io/role"
)

// MinReconcileInterval is the shortest periodic re-sync allowed.
const MinReconcileInterval = 30 * time.Second

// SecretSelection is one item of the vault-sync.io/secrets annotation.
type SecretSelection struct {
	// Name of the Secret in the Deployment's namespace.
	Name string `json:"name"`
	// Keys to copy; all keys when empty.
	Keys []string `json:"keys,omitempty"`
	// Prefix is prepended to every key written to Vault.
	Prefix string `json:"prefix,omitempty"`
}

// Config is what a Deployment's annotations ask for.
type Config struct {
	// Enabled is true when the path annotation is present.
	Enabled bool
	Path    string
	// Explicit is the parsed secrets annotation; nil means auto-discovery.
	Explicit []SecretSelection
	// PreserveOnDelete keeps Vault data when the Deployment goes.
	PreserveOnDelete bool
	// ReconcileInterval is the periodic re-sync; 0 means off.
	ReconcileInterval time.Duration
}

// ConfigError is an invalid annotation. Type labels the
// config_parse_errors_total metric.
type ConfigError struct {
	Type string
	Err  error
}

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Config error types.
const (
	ErrTypeInvalidJSON      = "invalid_json"
	ErrTypeInvalidSelection = "invalid_selection"
	ErrTypeInvalidInterval  = "invalid_interval"
	ErrTypeInvalidPath      = "invalid_path"
	ErrTypeInvalidBool      = "invalid_bool"
)

// ParseConfig reads the vault-sync.io annotations. A Deployment without the
// path annotation yields Config{Enabled: false} and no error.
func ParseConfig(annotations map[string]string) (Config, error) {
	path, ok := annotations[AnnotationPath]
	if !ok {
		return Config{}, nil
	}
	cfg := Config{Enabled: true, Path: path}
	if err := vault.ValidatePath(path); err != nil {
		return cfg, &ConfigError{Type: ErrTypeInvalidPath, Err: fmt.Errorf("invalid %s annotation: %w", AnnotationPath, err)}
	}
	if raw, ok := annotations[AnnotationSecrets]; ok {
		sel, err := ParseSecrets(raw)
		if err != nil {
			return cfg, err
		}
		cfg.Explicit = sel
	}
	preserve, err := PreserveOnDelete(annotations)
	cfg.PreserveOnDelete = preserve
	if err != nil {
		return cfg, err
	}
	d, err := ParseInterval(annotations[AnnotationReconcile])
	if err != nil {
		return cfg, err
	}
	cfg.ReconcileInterval = d
	return cfg, nil
}

// PreserveOnDelete reads the vault-sync.io/preserve-on-delete annotation,
// the one way it is read: "true" or "false" (any case, surrounding spaces
// ignored), absent meaning false. Anything else is an error and reads as
// true: when in doubt, data is kept.
func PreserveOnDelete(annotations map[string]string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(annotations[AnnotationPreserveOnDelete])); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return true, &ConfigError{Type: ErrTypeInvalidBool,
			Err: fmt.Errorf("invalid %s annotation %q: must be \"true\" or \"false\"", AnnotationPreserveOnDelete, v)}
	}
}

// ParseSecrets parses the JSON of the vault-sync.io/secrets annotation.
func ParseSecrets(raw string) ([]SecretSelection, error) {
	var sel []SecretSelection
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sel); err != nil {
		return nil, &ConfigError{Type: ErrTypeInvalidJSON, Err: fmt.Errorf("failed to parse secrets annotation: %w", err)}
	}
	if dec.More() {
		return nil, &ConfigError{Type: ErrTypeInvalidJSON, Err: errors.New("failed to parse secrets annotation: unexpected data after the JSON list")}
	}
	if len(sel) == 0 {
		return nil, &ConfigError{Type: ErrTypeInvalidSelection,
			Err: errors.New("failed to parse secrets annotation: the list is empty; remove the annotation to sync every referenced secret")}
	}
	for i, s := range sel {
		if s.Name == "" {
			return nil, &ConfigError{Type: ErrTypeInvalidSelection, Err: fmt.Errorf("failed to parse secrets annotation: item %d has no \"name\"", i)}
		}
		if msgs := validation.IsDNS1123Subdomain(s.Name); len(msgs) > 0 {
			return nil, &ConfigError{Type: ErrTypeInvalidSelection, Err: fmt.Errorf(
				"failed to parse secrets annotation: %q is not a Secret name (%s); only Secrets of the Deployment's own namespace can be named", s.Name, strings.Join(msgs, "; "))}
		}
		for _, k := range s.Keys {
			if k == "" {
				return nil, &ConfigError{Type: ErrTypeInvalidSelection, Err: fmt.Errorf("failed to parse secrets annotation: secret %s lists an empty key", s.Name)}
			}
		}
	}
	return sel, nil
}

// ParseInterval parses the vault-sync.io/reconcile annotation: "", "off" or
// a Go duration of at least MinReconcileInterval.
func ParseInterval(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "off") {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < MinReconcileInterval {
		return 0, &ConfigError{Type: ErrTypeInvalidInterval,
			Err: fmt.Errorf("invalid reconcile interval %q: use \"off\" or a duration of at least %s such as \"5m\" or \"1h\"", v, MinReconcileInterval)}
	}
	return d, nil
}

// ErrorType returns the metric label of a configuration error.
func ErrorType(err error) string {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return ce.Type
	}
	return "unknown"
}
