package vault

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

// staticJWT presents the same service-account token at every login.
type staticJWT string

func (j staticJWT) JWT(context.Context) (string, error) { return string(j), nil }

// memTokenStore is a TokenStore in memory that counts saves and deletes.
type memTokenStore struct {
	mu      sync.Mutex
	tokens  map[Identity]string
	saves   int
	deletes int
}

func newMemTokenStore() *memTokenStore { return &memTokenStore{tokens: map[Identity]string{}} }

func (m *memTokenStore) Load(_ context.Context, id Identity) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokens[id], nil
}

func (m *memTokenStore) Save(_ context.Context, id Identity, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[id] = token
	m.saves++
	return nil
}

func (m *memTokenStore) Delete(_ context.Context, id Identity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tokens, id)
	m.deletes++
	return nil
}

func (m *memTokenStore) deleted() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deletes
}

func (m *memTokenStore) saved(id Identity) (string, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokens[id], m.saves
}

// recordingObserver records what the client reports to metrics.
type recordingObserver struct {
	mu       sync.Mutex
	logins   []string
	requests []string
}

func (o *recordingObserver) Login(result string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.logins = append(o.logins, result)
}

func (o *recordingObserver) Request(kind RequestKind, code int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, string(kind)+" "+strconv.Itoa(code))
}

// clock is a settable time source for sessions.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testConfig reaches v as role "operator".
func testConfig(v *vaultServer) Config {
	return Config{Address: v.URL, Role: "operator", Timeout: 5 * time.Second, MaxRequestSize: DefaultMaxRequestSize}
}

// newTestPool is a pool on v without the periodic token check, closed
// when the test ends.
func newTestPool(t *testing.T, cfg Config, opts ...PoolOption) *Pool {
	t.Helper()
	p, err := NewPool(cfg, staticJWT("operator-jwt"), append([]PoolOption{WithTokenCheck(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// withClock makes c's session read time from a new clock.
func withClock(c *Client) *clock {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.Session.now = clk.Now
	return clk
}

// newTestClient is the operator's client on v with a settable clock.
func newTestClient(t *testing.T, v *vaultServer, opts ...PoolOption) (*Client, *clock) {
	c := newTestPool(t, testConfig(v), opts...).Operator()
	return c, withClock(c)
}

// eventually fails the test unless cond becomes true within 5 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newGate is a channel requests can wait on, and its release. The release
// also runs when the test ends, before the server closes (which waits for
// the requests in flight).
func newGate(t *testing.T) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	release := sync.OnceFunc(func() { close(ch) })
	t.Cleanup(release)
	return ch, release
}
