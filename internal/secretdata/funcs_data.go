package secretdata

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// join sep list joins a list of strings (or numbers, booleans).
func (m *meter) join(sep string, list any) (string, error) {
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return "", &funcError{"the second argument must be a list"}
	}
	parts := make([]string, v.Len())
	size := 0
	for i := range parts {
		s, ok := scalarString(v.Index(i).Interface())
		if !ok {
			return "", &funcError{"the list may hold only strings, numbers and booleans"}
		}
		parts[i] = s
		size += len(s) + len(sep)
		if size > maxValueBytes {
			return "", errTooLarge
		}
	}
	out := strings.Join(parts, sep)
	return out, m.result(size, len(out))
}

// scalarString formats a string, number or boolean; false for anything else.
func scalarString(x any) (string, bool) {
	switch y := x.(type) {
	case string:
		return y, true
	case json.Number:
		return y.String(), true
	case bool, int, int64, float64:
		return fmt.Sprint(y), true
	}
	return "", false
}

// defaultValue def given returns given unless it is empty ("" , nil, 0,
// false, an empty list or map), then def.
func (m *meter) defaultValue(def, given any) (any, error) {
	if err := m.charge(1); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(given)
	if !v.IsValid() || v.IsZero() {
		return def, nil
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.String:
		if v.Len() == 0 {
			return def, nil
		}
	}
	return given, nil
}

// list makes a list of its arguments.
func (m *meter) list(items ...any) ([]any, error) {
	return items, m.charge(16 * (len(items) + 1))
}

// dict makes a map of key, value pairs; keys are strings.
func (m *meter) dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, &funcError{"the arguments must be key and value pairs"}
	}
	out := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, &funcError{"dict keys must be strings"}
		}
		out[k] = pairs[i+1]
	}
	return out, m.charge(16 * (len(pairs) + 1))
}

// hasKey map key tells whether the map has the key.
func (m *meter) hasKey(mp any, key string) (bool, error) {
	_, ok, err := lookup(mp, key)
	if err != nil {
		return false, err
	}
	return ok, m.charge(len(key) + 1)
}

// get map key is the key's value, or "" when the map lacks it.
func (m *meter) get(mp any, key string) (any, error) {
	v, ok, err := lookup(mp, key)
	if err != nil || !ok {
		return "", err
	}
	return v, m.charge(len(key) + 1)
}

// lookup finds key in a map with string keys.
func lookup(mp any, key string) (any, bool, error) {
	v := reflect.ValueOf(mp)
	if v.Kind() != reflect.Map || v.Type().Key().Kind() != reflect.String {
		return nil, false, &funcError{"the first argument must be a map"}
	}
	e := v.MapIndex(reflect.ValueOf(key).Convert(v.Type().Key()))
	if !e.IsValid() {
		return nil, false, nil
	}
	return e.Interface(), true, nil
}

func (m *meter) b64enc(s string) (string, error) {
	if base64.StdEncoding.EncodedLen(len(s)) > maxValueBytes {
		return "", errTooLarge
	}
	out := base64.StdEncoding.EncodeToString([]byte(s))
	return out, m.result(len(s), len(out))
}

func (m *meter) b64dec(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", &funcError{"the value is not standard base64"}
	}
	return string(b), m.result(len(s), len(b))
}

// toJSON encodes any value as JSON (map keys sorted: deterministic).
func (m *meter) toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", &funcError{"the value cannot be encoded as JSON"}
	}
	return string(b), m.result(len(b), len(b))
}

// fromJSON decodes JSON; numbers keep their digits (json.Number).
func (m *meter) fromJSON(s string) (any, error) {
	if err := m.charge(2 * len(s)); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, &funcError{"the value is not one JSON document"}
	}
	return v, nil
}

func (m *meter) sha256sum(s string) (string, error) {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:]), m.charge(len(s))
}
