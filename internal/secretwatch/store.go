package secretwatch

import "sync"

// store is the reflector's sink. It keeps no objects: every change is
// offered to the Tracker, which enqueues the Deployments that use it (a map
// look-up and nothing else for Secrets nobody uses).
type store struct {
	t      *Tracker
	once   sync.Once
	listed chan struct{} // closed after the first complete list
}

func newStore(t *Tracker) *store { return &store{t: t, listed: make(chan struct{})} }

func (s *store) Add(obj any) error    { s.t.notify(obj); return nil }
func (s *store) Update(obj any) error { s.t.notify(obj); return nil }
func (s *store) Delete(obj any) error { s.t.notify(obj); return nil }
func (s *store) Resync() error        { return nil }

// Replace is a full list: at start, or after a watch broke. Changes made
// while the watch was down are only visible here, so every listed Secret
// in use is offered again — except on the first list: every Deployment is
// reconciled at start anyway (its own initial event, which reads the
// Secrets), and offering them all again here would enqueue thousands at
// normal priority, ahead of nothing, behind which a Secret changed right
// after a failover would wait.
func (s *store) Replace(list []any, _ string) error {
	select {
	case <-s.listed:
		for _, o := range list {
			s.t.notify(o)
		}
	default:
	}
	s.once.Do(func() { close(s.listed) })
	return nil
}
