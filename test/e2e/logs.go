package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
)

// LogCapture keeps every log line of the in-process operator, so tests can
// check what was (and was not) logged: secret values never are.
type LogCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is everything logged so far.
func (l *LogCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// OperatorLogPath is the file every operator process of this Env appends
// its output to (restarts and the replicas of a leader election included).
func (e *Env) OperatorLogPath() string { return filepath.Join(e.Dir, "operator.log") }

// ShowOperatorLogOnFailure logs the operator processes' output into t when
// t failed; defer it at the start of a test.
func (e *Env) ShowOperatorLogOnFailure(t TB) {
	if t.Failed() {
		b, _ := os.ReadFile(e.OperatorLogPath())
		t.Logf("operator log:\n%s", b)
	}
}
