// Command promql-signal reads a JSON array of PromQL expressions on stdin
// and prints, as a JSON array in the same order, each expression with its
// thresholds removed: every comparison between a vector and a scalar
// (`x > 0.1`, `600 > x`) becomes the vector side alone, so the result is the
// signal an alert watches instead of only its firing samples.
//
// The observability tests run both forms against a real Prometheus: an
// alert that does not fire in the test workload must still select series,
// or a renamed metric would silently make it never fire.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	var exprs []string
	if err := json.NewDecoder(os.Stdin).Decode(&exprs); err != nil {
		fail("read a JSON array of expressions on stdin: %v", err)
	}
	out := make([]string, len(exprs))
	for i, e := range exprs {
		s, err := signal(e)
		if err != nil {
			fail("expression %d %q: %v", i, e, err)
		}
		out[i] = s
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("write: %v", err)
	}
}

// signal parses expr and returns it without scalar thresholds.
func signal(expr string) (string, error) {
	parsed, err := parser.ParseExpr(expr)
	if err != nil {
		return "", err
	}
	stripThresholds(&parsed)
	return parsed.String(), nil
}

// stripThresholds rewrites *e bottom-up, replacing each filtering
// comparison of a vector with a scalar by its vector operand.
func stripThresholds(e *parser.Expr) {
	switch n := (*e).(type) {
	case *parser.BinaryExpr:
		stripThresholds(&n.LHS)
		stripThresholds(&n.RHS)
		if vector := thresholdedVector(n); vector != nil {
			*e = vector
		}
	case *parser.ParenExpr:
		stripThresholds(&n.Expr)
	case *parser.AggregateExpr:
		stripThresholds(&n.Expr)
	case *parser.SubqueryExpr:
		stripThresholds(&n.Expr)
	case *parser.UnaryExpr:
		stripThresholds(&n.Expr)
	case *parser.Call:
		for i := range n.Args {
			stripThresholds(&n.Args[i])
		}
	}
}

// thresholdedVector returns the vector side of a filtering comparison
// between a vector and a scalar (`x > 0.5`, `300 > x`), or nil. A `bool`
// comparison returns 0/1 for every series and filters nothing.
func thresholdedVector(n *parser.BinaryExpr) parser.Expr {
	if !n.Op.IsComparisonOperator() || n.ReturnBool {
		return nil
	}
	lhsScalar, rhsScalar := n.LHS.Type() == parser.ValueTypeScalar, n.RHS.Type() == parser.ValueTypeScalar
	switch {
	case rhsScalar && !lhsScalar:
		return n.LHS
	case lhsScalar && !rhsScalar:
		return n.RHS
	}
	return nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "promql-signal: "+format+"\n", args...)
	os.Exit(1)
}
