package vault

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	"golang.org/x/sync/singleflight"
)

// mount is what the operator needs to know about a secrets engine mount.
type mount struct {
	path    string // with trailing slash, as Vault reports it
	kind    string // engine type: "kv", "generic", "database", ...
	version int    // KV version, 0 for non-KV engines
	at      time.Time
}

// mountCache remembers mounts (they change rarely) so a sync does not pay a
// mount look-up per secret. Entries expire so that a re-mounted engine is
// noticed without a restart.
type mountCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[string]mount
	// lookups coalesces concurrent look-ups of one path: a thousand
	// Deployments starting together cost one request, not one per worker.
	lookups singleflight.Group
}

func newMountCache(ttl time.Duration) *mountCache {
	return &mountCache{ttl: ttl, m: map[string]mount{}}
}

// find returns the longest cached mount containing path.
func (c *mountCache) find(path string) (mount, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var best mount
	now := time.Now()
	for prefix, m := range c.m {
		if strings.HasPrefix(path+"/", prefix) && len(prefix) > len(best.path) && now.Sub(m.at) < c.ttl {
			best = m
		}
	}
	return best, best.path != ""
}

func (c *mountCache) put(m mount) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[m.path] = m
}

// of looks up (or recalls) the mount serving path, asking Vault as s.
// Vault answers sys/internal/ui/mounts/<path> for any token with a
// capability on the path.
func (c *mountCache) of(ctx context.Context, s *Session, path string) (mount, error) {
	if m, ok := c.find(path); ok {
		return m, nil
	}
	v, err, _ := c.lookups.Do(path, func() (any, error) { return c.lookup(ctx, s, path) })
	if err != nil {
		return mount{}, err
	}
	return v.(mount), nil
}

func (c *mountCache) lookup(ctx context.Context, s *Session, path string) (mount, error) {
	var sec *vaultapi.Secret
	err := s.do(ctx, "mount lookup", path, func(api *vaultapi.Client) error {
		var err error
		sec, err = api.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+path)
		return err
	})
	if IsCategory(err, CategoryInvalidRequest) || IsCategory(err, CategoryNotFound) || (err == nil && (sec == nil || sec.Data["path"] == nil)) {
		return mount{}, &Error{Category: CategoryInvalidPath, Op: "mount lookup", Path: path,
			Err: fmt.Errorf("no secrets engine is mounted at this path; check the mount name (vault secrets list)")}
	}
	if IsCategory(err, CategoryPermissionDenied) {
		// Vault answers 403 both for a path the policy does not cover and for
		// a mount that does not exist (it cannot tell the token which).
		return mount{}, &Error{Category: CategoryPermissionDenied, Op: "mount lookup", Path: path, StatusCode: 403,
			Err: fmt.Errorf("the token has no capability on this path: either no secrets engine is mounted there (vault secrets list) or the policy does not cover it")}
	}
	if err != nil {
		return mount{}, err
	}
	m := mount{at: time.Now()}
	m.path, _ = sec.Data["path"].(string)
	m.kind, _ = sec.Data["type"].(string)
	if m.kind == "kv" || m.kind == "generic" {
		m.version = 1
		if opts, ok := sec.Data["options"].(map[string]any); ok && opts["version"] == "2" {
			m.version = 2
		}
	}
	c.put(m)
	return m, nil
}
