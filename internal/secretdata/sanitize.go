package secretdata

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"
)

// text/template's execution errors can quote the data: "range can't iterate
// over <value>", "if/with can't use <value>", and a function's error (json's
// "invalid character 'x'") or panic is passed through. A TemplateError keeps
// only what is known to hold no value: the position, the action's source
// text (from the template, not the data), messages of this package's own
// functions, and text/template messages of a known value-free shape.
// Anything else is withheld.

var (
	// execMessage splits text/template's "template: NAME:LINE:COL:
	// executing "NAME" at <ACTION>: DETAIL".
	execMessage = regexp.MustCompile(`(?s)^template: .*?:(\d+):(\d+): executing ".*?" at <(.*?)>: (.*)$`)
	// parseMessage splits "template: NAME:LINE: DETAIL".
	parseMessage = regexp.MustCompile(`(?s)^template: .*?:(\d+): (.*)$`)
	callMessage  = regexp.MustCompile(`^error calling ([A-Za-z0-9_]+): `)
	// valueFree are text/template's execution messages that name only
	// fields, keys, types, functions and template text.
	valueFree = []*regexp.Regexp{
		regexp.MustCompile(`^map has no entry for key "[^"\n]*"$`),
		regexp.MustCompile(`^can't evaluate field \S+ in type \S+$`),
		regexp.MustCompile(`^wrong number of args for \S+: want (at least )?\d+ got \d+$`),
		regexp.MustCompile(`^wrong type for value; expected \S+; got \S+$`),
		regexp.MustCompile(`^invalid value; expected \S+$`),
		regexp.MustCompile(`^nil pointer evaluating \S+$`),
		regexp.MustCompile(`^\S+ (is not a method but has arguments|has arguments but cannot be invoked as function)$`),
	}
)

const withheld = "failed (the details are withheld: they could contain a value)"

// parseError makes a TemplateError of a parse error: it quotes only the
// template's text.
func parseError(src Source, err error) *TemplateError {
	m := parseMessage.FindStringSubmatch(err.Error())
	if m == nil {
		return &TemplateError{Template: src, Detail: err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	return &TemplateError{Template: src, Line: line, Detail: m[2]}
}

// execError makes a TemplateError of an execution error, without values.
func execError(src Source, err error) *TemplateError {
	var fe *funcError
	m := execMessage.FindStringSubmatch(err.Error())
	if m == nil {
		if errors.As(err, &fe) { // the output cap, reported by the writer
			return &TemplateError{Template: src, Detail: fe.msg}
		}
		return &TemplateError{Template: src, Detail: withheld}
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	action, detail := m[3], m[4]
	if strings.Contains(action, tickFunc) {
		action = "range"
	}
	return &TemplateError{Template: src, Line: line, Column: col, Detail: "at <" + action + ">: " + safeDetail(detail, err)}
}

// safeDetail keeps what is known to be value-free.
func safeDetail(detail string, err error) string {
	if c := callMessage.FindStringSubmatch(detail); c != nil {
		var fe *funcError
		if errors.As(err, &fe) {
			if c[1] == tickFunc {
				return fe.msg
			}
			return "error calling " + c[1] + ": " + fe.msg
		}
		return "error calling " + c[1] + " " + withheld
	}
	if strings.HasPrefix(detail, "range can't iterate over ") {
		return "range can't iterate over this value (to loop over the parts of a string, use splitList)"
	}
	for _, re := range valueFree {
		if re.MatchString(detail) {
			return detail
		}
	}
	return withheld
}

// position is the 1-based line and column of n in its template.
func position(t *parse.Tree, n parse.Node) (int, int) {
	loc, _ := t.ErrorContext(n)
	parts := strings.Split(loc, ":")
	if len(parts) < 3 {
		return 0, 0
	}
	line, _ := strconv.Atoi(parts[len(parts)-2])
	col, _ := strconv.Atoi(parts[len(parts)-1])
	return line, col
}
