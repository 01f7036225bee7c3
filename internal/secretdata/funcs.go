package secretdata

import (
	"strconv"
	"strings"
	"text/template"
)

// funcMap is the function set of templates (docs/secret-shaping.md lists
// it). Names and argument orders follow sprig, so templates written for
// External Secrets or Vault Secrets Operator port as they are, but the set
// is our own: every function is deterministic (no clock, randomness,
// environment, network or salted hashes: the output must not change while
// Vault does not), charges the meter, and fails with a message that holds
// no value. The builtins that can be costly or that hide a missing key are
// replaced (funcs_builtin.go); "call" is disabled.
func funcMap(m *meter) template.FuncMap {
	f := template.FuncMap{
		"trim":       m.mapString(strings.TrimSpace),
		"upper":      m.mapString(strings.ToUpper),
		"lower":      m.mapString(strings.ToLower),
		"trimPrefix": m.cutString(strings.TrimPrefix),
		"trimSuffix": m.cutString(strings.TrimSuffix),
		"contains":   m.testString(strings.Contains),
		"hasPrefix":  m.testString(strings.HasPrefix),
		"hasSuffix":  m.testString(strings.HasSuffix),
		"replace":    m.replace,
		"quote":      m.mapString(strconv.Quote),
		"squote":     m.mapString(func(s string) string { return "'" + s + "'" }),
		"indent":     m.indent,
		"nindent":    m.nindent,
		"splitList":  m.splitList,
		"join":       m.join,
		"default":    m.defaultValue,
		"list":       m.list,
		"dict":       m.dict,
		"hasKey":     m.hasKey,
		"get":        m.get,
		"b64enc":     m.b64enc,
		"b64dec":     m.b64dec,
		"toJson":     m.toJSON,
		"fromJson":   m.fromJSON,
		"sha256sum":  m.sha256sum,
		tickFunc:     m.tick,
	}
	for name, fn := range m.builtins() {
		f[name] = fn
	}
	return f
}

// mapString makes a function of one string.
func (m *meter) mapString(fn func(string) string) func(string) (string, error) {
	return func(s string) (string, error) {
		out := fn(s)
		return out, m.result(len(s), len(out))
	}
}

// cutString makes trimPrefix/trimSuffix: (affix, s) in sprig's order.
func (m *meter) cutString(fn func(s, affix string) string) func(string, string) (string, error) {
	return func(affix, s string) (string, error) {
		out := fn(s, affix)
		return out, m.result(len(s)+len(affix), len(out))
	}
}

// testString makes contains/hasPrefix/hasSuffix: (needle, s) in sprig's order.
func (m *meter) testString(fn func(s, needle string) bool) func(string, string) (bool, error) {
	return func(needle, s string) (bool, error) {
		return fn(s, needle), m.charge(len(s) + len(needle))
	}
}

// replace old new s replaces every old in s by new.
func (m *meter) replace(old, new, s string) (string, error) {
	n := 0
	if old != "" {
		n = strings.Count(s, old)
	} else {
		n = len(s) + 1
	}
	if len(s)+n*(len(new)-len(old)) > maxValueBytes {
		return "", errTooLarge
	}
	out := strings.ReplaceAll(s, old, new)
	return out, m.result(len(s), len(out))
}

// indent n s puts n spaces before every line of s.
func (m *meter) indent(n int, s string) (string, error) {
	if n < 0 {
		return "", &funcError{"the count of spaces must be 0 or more"}
	}
	lines := strings.Count(s, "\n") + 1
	if n > maxValueBytes || len(s)+n*lines > maxValueBytes {
		return "", errTooLarge
	}
	pad := strings.Repeat(" ", n)
	out := pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	return out, m.result(len(s), len(out))
}

// nindent is indent with a newline before.
func (m *meter) nindent(n int, s string) (string, error) {
	out, err := m.indent(n, s)
	return "\n" + out, err
}

// splitList sep s splits s at every sep.
func (m *meter) splitList(sep, s string) ([]string, error) {
	out := strings.Split(s, sep)
	return out, m.result(len(s), 16*len(out))
}
