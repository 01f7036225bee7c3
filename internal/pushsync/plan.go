package pushsync

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	"github.com/vault-sync-io/vault-sync-operator/internal/mac"
)

// Write is one Vault secret to write: Sub is the child path under the
// annotation's path ("" for explicit mode, the Secret's name for
// auto-discovery).
type Write struct {
	Sub  string
	Data map[string]string
}

// KeyMissingError: a selected key does not exist in its Secret.
type KeyMissingError struct {
	Secret    string
	Key       string
	Available []string
}

func (e *KeyMissingError) Error() string {
	return fmt.Sprintf("key %s not found in secret %s (available keys: %s)", e.Key, e.Secret, strings.Join(e.Available, ", "))
}

// Plan computes what must be in Vault for cfg, given the referenced Secrets
// by name. Values must be UTF-8 text: Vault KV stores JSON strings, and a
// binary value would be silently corrupted.
func Plan(cfg Config, secrets map[string]*corev1.Secret) ([]Write, error) {
	if cfg.Explicit == nil {
		names := slices.Sorted(maps.Keys(secrets))
		writes := make([]Write, 0, len(names))
		for _, n := range names {
			data, err := textData(secrets[n], nil, "")
			if err != nil {
				return nil, err
			}
			writes = append(writes, Write{Sub: n, Data: data})
		}
		return writes, nil
	}
	merged := map[string]string{}
	from := map[string]string{} // final key -> "secret/key" that produced it
	for _, sel := range cfg.Explicit {
		s := secrets[sel.Name]
		if s == nil {
			return nil, fmt.Errorf("secret %s was not read", sel.Name)
		}
		data, err := textData(s, sel.Keys, sel.Prefix)
		if err != nil {
			return nil, err
		}
		for k, v := range data {
			if prev, dup := from[k]; dup {
				return nil, &ConfigError{Type: ErrTypeInvalidSelection,
					Err: fmt.Errorf("duplicate vault key %q: written by both %s and %s/%s; give one of them a prefix", k, prev, sel.Name, strings.TrimPrefix(k, sel.Prefix))}
			}
			from[k] = sel.Name + "/" + strings.TrimPrefix(k, sel.Prefix)
			merged[k] = v
		}
	}
	return []Write{{Data: merged}}, nil
}

// textData selects keys (all when keys is empty) of s, prefixed.
func textData(s *corev1.Secret, keys []string, prefix string) (map[string]string, error) {
	if len(keys) == 0 {
		keys = slices.Sorted(maps.Keys(s.Data))
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		v, ok := s.Data[k]
		if !ok {
			return nil, &KeyMissingError{Secret: s.Name, Key: k, Available: slices.Sorted(maps.Keys(s.Data))}
		}
		if !utf8.Valid(v) {
			return nil, &ConfigError{Type: ErrTypeInvalidSelection,
				Err: fmt.Errorf("key %s in secret %s is binary (not UTF-8 text) and cannot be stored as a Vault KV string; store it base64-encoded under another key, or leave it out with the %s annotation", k, s.Name, AnnotationSecrets)}
		}
		out[prefix+k] = string(v)
	}
	return out, nil
}

// Hash is a keyed digest of what a sync writes and where, for the
// Deployment with uid. Comparing it with the recorded one tells whether
// Vault needs a write, without reading Vault; being keyed and bound to the
// Deployment, the annotation anyone with `view` can read does not let them
// confirm a guessed value.
func Hash(key mac.Key, uid string, paths []string, writes []Write) string {
	type entry struct {
		Path string            `json:"p"`
		Data map[string]string `json:"d"`
	}
	entries := make([]entry, len(writes))
	for i := range writes {
		entries[i] = entry{Path: paths[i], Data: writes[i].Data}
	}
	b, _ := json.Marshal(entries) // maps marshal with sorted keys: canonical
	return "hmac:" + key.Digest([]byte("push-data/v2"), []byte(uid), b)
}

// DataSum is a keyed digest of the data written at loc for the Deployment
// with uid (State.Sums). Bound to both, it confirms no guess across
// objects. Data that is not all strings (not written by push) has no sum.
func DataSum(key mac.Key, uid, loc string, data map[string]any) string {
	strs := make(map[string]string, len(data))
	for k, v := range data {
		s, ok := v.(string)
		if !ok {
			return ""
		}
		strs[k] = s
	}
	b, _ := json.Marshal(strs)
	return "hmac:" + key.Digest([]byte("push-kv1-data/v1"), []byte(uid), []byte(loc), b)
}
