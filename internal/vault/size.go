package vault

import (
	"encoding/json"
	"fmt"
)

// DefaultMaxRequestSize is Vault's default listener max_request_size (32 MiB).
const DefaultMaxRequestSize = 32 << 20

// checkSize refuses, before anything is sent, data whose write request
// would exceed Vault's request limit: Vault would answer 413 after the
// upload, and a path claimed for it would stay empty.
func (k *KV) checkSize(loc Location, data map[string]any) error {
	if k.maxRequest <= 0 {
		return nil
	}
	b, _ := json.Marshal(map[string]any{"data": data, "options": map[string]any{"cas": 0}})
	if int64(len(b)) <= k.maxRequest {
		return nil
	}
	return &Error{Category: CategoryTooLarge, Op: "write", Path: loc.String(), Err: fmt.Errorf(
		"the secret's data is %d bytes as a Vault request, more than the limit of %d bytes (Vault's listener max_request_size, 32 MiB by default; the operator's --vault-max-request-size): write the keys to several paths (auto-discovery writes one path per Secret) or raise both limits",
		len(b), k.maxRequest)}
}
