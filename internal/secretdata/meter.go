package secretdata

import "io"

// A template is tenant input run inside the operator: a loop over a large
// list, or a function applied to a large value inside a loop, could keep the
// reconcile busy for minutes, and every other VaultApp would wait. The meter
// bounds the work of all templates of one Secret: functions charge the bytes
// they read and write, every loop iteration charges the size of its body,
// and the output is capped at what a Secret may hold. Going over is a
// TemplateError, reported like any other.

const (
	// evalBudget is the work all templates of one Secret may do, in units:
	// one per byte a function reads or writes, nodeCost per template node a
	// loop iteration runs. About a second of CPU at worst.
	evalBudget = 1 << 24
	// nodeCost is the units of one template node in a loop iteration.
	nodeCost = 16
	// maxValueBytes bounds any one value a function returns.
	maxValueBytes = MaxSecretBytes
)

var (
	errBudget   = &funcError{"the templates exceed their evaluation budget (loops and functions over large values); simplify the template"}
	errTooLarge = &funcError{"the result would be over 1 MiB"}
	errOutput   = &funcError{"the rendered templates would be over the 1 MiB a Secret holds"}
)

// meter counts the work and the output of the templates of one Secret.
type meter struct {
	units  int64
	output int
}

func newMeter() *meter { return &meter{units: evalBudget} }

// charge takes n units, or fails once the budget is spent.
func (m *meter) charge(n int) error {
	m.units -= int64(n)
	if m.units < 0 {
		return errBudget
	}
	return nil
}

// result charges for a function's input and output sizes and refuses
// outputs over maxValueBytes.
func (m *meter) result(in, out int) error {
	if out > maxValueBytes {
		return errTooLarge
	}
	return m.charge(in + out)
}

// tick is called by the action prepended to every range body (see
// meterLoops): cost is the body's size in units. A template can call it
// too, but never to give units back.
func (m *meter) tick(cost int) (string, error) {
	return "", m.charge(max(cost, nodeCost))
}

// meteredWriter is the output of one template, counted against the
// Secret's cap.
type meteredWriter struct {
	w io.Writer
	m *meter
}

func (mw meteredWriter) Write(p []byte) (int, error) {
	mw.m.output += len(p)
	if mw.m.output > MaxSecretBytes {
		return 0, errOutput
	}
	if err := mw.m.charge(len(p)); err != nil {
		return 0, err
	}
	return mw.w.Write(p)
}

// funcError is an error of this package's template functions. Its message
// never holds a value, so it may appear in a TemplateError as it is.
type funcError struct{ msg string }

func (e *funcError) Error() string { return e.msg }
