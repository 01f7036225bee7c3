package e2e

import (
	"errors"
	"reflect"
	"testing"
)

type countingRunner struct{ runs int }

func (c *countingRunner) Run() int { c.runs++; return 0 }

func TestAFailedSetupRunsNoTest(t *testing.T) {
	m := &countingRunner{}
	err := errors.New("vault role")
	if code := (gated{m, &err}).Run(); code != 1 || m.runs != 0 {
		t.Errorf("failed setup: exit %d after %d runs, want 1 after none", code, m.runs)
	}
	err = nil
	if code := (gated{m, &err}).Run(); code != 0 || m.runs != 1 {
		t.Errorf("setup ok: exit %d after %d runs, want the tests' own", code, m.runs)
	}
}

func TestCloseStopsNewestFirstAndOnce(t *testing.T) {
	e := &Env{}
	var order []string
	e.OnClose(func() { order = append(order, "postgres") })
	e.OnClose(func() { order = append(order, "operator") })
	e.Close()
	e.Close()
	if want := []string{"operator", "postgres"}; !reflect.DeepEqual(order, want) {
		t.Errorf("close order %v, want %v", order, want)
	}
}
