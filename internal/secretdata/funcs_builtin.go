package secretdata

import (
	"cmp"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"text/template"
)

// builtins replaces text/template's builtins that could do unmetered work
// on large values (printing, escaping, comparing), that hide a missing key
// (index returns the zero value), or that call arbitrary functions (call).
// and, or, not, len and slice stay: they do constant work.
func (m *meter) builtins() template.FuncMap {
	return template.FuncMap{
		"index":    m.index,
		"print":    m.printing(fmt.Sprint),
		"println":  m.printing(fmt.Sprintln),
		"printf":   m.printf,
		"html":     m.printing(template.HTMLEscaper),
		"js":       m.printing(template.JSEscaper),
		"urlquery": m.printing(template.URLQueryEscaper),
		"eq":       m.eq,
		"ne":       func(a, b any) (bool, error) { eq, err := m.eq(a, b); return !eq, err },
		"lt":       m.order(func(c int) bool { return c < 0 }),
		"le":       m.order(func(c int) bool { return c <= 0 }),
		"gt":       m.order(func(c int) bool { return c > 0 }),
		"ge":       m.order(func(c int) bool { return c >= 0 }),
		"call":     func(...any) (string, error) { return "", &funcError{"call is not available in templates"} },
	}
}

// index item keys... is builtin index, but a missing map key or an index
// out of range is an error, not an empty value.
func (m *meter) index(item any, keys ...any) (any, error) {
	v := reflect.ValueOf(item)
	for _, k := range keys {
		if err := m.charge(1); err != nil {
			return nil, err
		}
		switch v.Kind() {
		case reflect.Map:
			kv := reflect.ValueOf(k)
			if !kv.IsValid() || !kv.Type().AssignableTo(v.Type().Key()) {
				return nil, &funcError{"the key has the wrong type for this map"}
			}
			e := v.MapIndex(kv)
			if !e.IsValid() {
				return nil, &funcError{"the map has no entry for this key (hasKey and get test for optional keys)"}
			}
			v = e
		case reflect.Slice, reflect.Array, reflect.String:
			i, ok := k.(int)
			if !ok || i < 0 || i >= v.Len() {
				return nil, &funcError{"the index is out of range"}
			}
			v = v.Index(i)
		default:
			return nil, &funcError{"only maps, lists and strings can be indexed"}
		}
		if v.Kind() == reflect.Interface {
			v = v.Elem()
		}
	}
	if !v.IsValid() {
		return nil, nil
	}
	return v.Interface(), nil
}

// printing wraps a function of the builtins that formats its arguments.
func (m *meter) printing(fn func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		out := fn(args...)
		return out, m.result(argBytes(args), len(out))
	}
}

// printfWidth finds the widths and precisions of a format.
var printfWidth = regexp.MustCompile(`%[-+# 0]*(\*|[0-9]+)?(\.(\*|[0-9]*))?`)

// printf is fmt.Sprintf, refusing widths from arguments ("*") and widths
// or precisions over 999: padding is allocated before it could be counted.
func (m *meter) printf(format string, args ...any) (string, error) {
	for _, spec := range printfWidth.FindAllStringSubmatch(format, -1) {
		if spec[1] == "*" || spec[3] == "*" || len(spec[1]) > 3 || len(spec[3]) > 3 {
			return "", &funcError{"widths and precisions must be written in the format, and be at most 999"}
		}
	}
	out := fmt.Sprintf(format, args...)
	return out, m.result(len(format)+argBytes(args), len(out))
}

// argBytes approximates the size of arguments: strings by length.
func argBytes(args []any) int {
	n := len(args)
	for _, a := range args {
		if s, ok := a.(string); ok {
			n += len(s)
		}
	}
	return n
}

// eq a b... is builtin eq for basic kinds: whether a equals any of the
// others.
func (m *meter) eq(a, b any, more ...any) (bool, error) {
	for _, x := range append([]any{b}, more...) {
		c, err := m.compare(a, x, true)
		if err != nil || c == 0 {
			return err == nil, err
		}
	}
	return false, nil
}

// order makes lt, le, gt and ge.
func (m *meter) order(ok func(int) bool) func(a, b any) (bool, error) {
	return func(a, b any) (bool, error) {
		c, err := m.compare(a, b, false)
		return ok(c), err
	}
}

// compare orders two strings, integers, floats or (for equality only)
// booleans; other kinds, or two different kinds, are an error.
func (m *meter) compare(a, b any, equality bool) (int, error) {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	ka, kb := basicKind(va), basicKind(vb)
	if ka != kb || ka == "" || (ka == "bool" && !equality) {
		return 0, &funcError{"incompatible types for comparison"}
	}
	switch ka {
	case "string":
		sa, sb := va.String(), vb.String()
		return strings.Compare(sa, sb), m.charge(min(len(sa), len(sb)) + 1)
	case "int":
		return cmp.Compare(va.Int(), vb.Int()), m.charge(1)
	case "float":
		return cmp.Compare(va.Float(), vb.Float()), m.charge(1)
	}
	if va.Bool() == vb.Bool() {
		return 0, m.charge(1)
	}
	return 1, m.charge(1)
}

func basicKind(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Bool:
		return "bool"
	}
	return ""
}
