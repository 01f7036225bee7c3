package rig

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is a loopback TCP proxy in front of Vault, so tests can take Vault
// away (refuse connections) or make it slow without touching its state.
type Proxy struct {
	ln       net.Listener
	upstream string
	down     atomic.Bool
	latency  atomic.Int64
	status   atomic.Int64 // when non-zero, answer every request with this HTTP status
	accepted atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newProxy(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetDown makes the proxy drop every open connection and refuse new ones
// (down) or forward again.
func (p *Proxy) SetDown(down bool) {
	p.down.Store(down)
	if down {
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	}
}

// SetHTTPStatus makes the proxy answer every new request itself with the
// given HTTP status (e.g. 503) instead of forwarding; 0 forwards again.
func (p *Proxy) SetHTTPStatus(code int) {
	p.status.Store(int64(code))
	if code != 0 {
		p.mu.Lock()
		for c := range p.conns { // kept-alive connections would bypass the fault
			c.Close()
		}
		p.mu.Unlock()
	}
}

// SetLatency delays every new connection by d before it is forwarded.
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// Connections is the number of connections accepted so far.
func (p *Proxy) Connections() int64 { return p.accepted.Load() }

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if p.down.Load() {
			c.Close()
			continue
		}
		go p.forward(c)
	}
}

func (p *Proxy) forward(c net.Conn) {
	if d := time.Duration(p.latency.Load()); d > 0 {
		time.Sleep(d)
	}
	if code := p.status.Load(); code != 0 {
		fmt.Fprintf(c, "HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\nContent-Length: 36\r\nConnection: close\r\n\r\n{\"errors\":[\"injected by the rig\"]}\n", code)
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		c.Close()
		return
	}
	p.track(c, up)
	defer p.untrack(c, up)
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.Close(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.Close(); done <- struct{}{} }()
	<-done
	<-done
}

func (p *Proxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *Proxy) close() {
	p.ln.Close()
	p.SetDown(true)
}
