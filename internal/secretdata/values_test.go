package secretdata

import (
	"encoding/json"
	"testing"
)

func TestValueBytesRendersVaultValuesAsTheControllerAlwaysHas(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"text", "text"},
		{[]any{"-----BEGIN A-----\n", "-----BEGIN B-----"}, "-----BEGIN A-----\n-----BEGIN B-----\n"},
		{[]any{"a", 1}, `["a",1]`},
		{json.Number("12345678901234567890"), "12345678901234567890"},
		{true, "true"},
		{map[string]any{"b": 1, "a": "x"}, `{"a":"x","b":1}`},
		{nil, "null"},
	} {
		if got := string(ValueBytes(tc.in)); got != tc.want {
			t.Errorf("ValueBytes(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
