// Package secretdata turns the values a VaultApp fetched from Vault into the
// data, labels and annotations of its Secret: the entries of
// spec.vault.secrets select keys, spec.secret.templates render more, and the
// Secret's type is checked. It is pure (no Kubernetes or Vault client, no
// I/O, no clock) and deterministic: the same input gives the same output on
// every refresh, so an unchanged Vault never rolls the application.
package secretdata

import (
	"encoding/json"
	"strings"
)

// MaxSecretBytes is the most data Kubernetes stores in one Secret (the sum
// of its values). It also bounds the template input.
const MaxSecretBytes = 1 << 20

// Fetched holds what Vault returned, by path: each distinct path of
// spec.vault.secrets, read (or issued) once per reconcile.
type Fetched map[string]map[string]any

// ValueBytes renders a Vault value as Secret bytes: strings as they are, a
// list of strings one per line (PKI's ca_chain becomes one PEM bundle),
// anything else (numbers, booleans, objects) as JSON.
func ValueBytes(v any) []byte {
	switch x := v.(type) {
	case string:
		return []byte(x)
	case []any:
		lines := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				b, _ := json.Marshal(v)
				return b
			}
			lines = append(lines, strings.TrimRight(s, "\n"))
		}
		return []byte(strings.Join(lines, "\n") + "\n")
	}
	b, _ := json.Marshal(v)
	return b
}
