package v1alpha1

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a duration field that never fails to decode. It embeds
// time.Duration, so .Duration is the value, as with metav1.Duration.
//
// The CRD admits only durations Go can parse (see the patterns and CEL
// bounds of each field), but an object stored under an older CRD, or written
// straight to etcd, may hold anything. metav1.Duration fails on such a value,
// and one failing item fails the decode of the whole VaultApp list: the
// informer never syncs and every VaultApp of every tenant stops. Duration
// instead keeps the stored JSON, reports it through Err, and marshals it back
// unchanged (an update by the operator never rewrites the user's value).
//
// +kubebuilder:validation:Type=string
type Duration struct {
	time.Duration `json:"-"`

	// invalid is the stored JSON when it is not a duration Go parses.
	invalid string
}

// NewDuration returns a Duration of d.
func NewDuration(d time.Duration) *Duration {
	return &Duration{Duration: d}
}

// UnmarshalJSON implements json.Unmarshaler. It never fails: a value that is
// not a duration string is kept and reported by Err.
func (d *Duration) UnmarshalJSON(b []byte) error {
	*d = Duration{}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		d.invalid = string(b)
		return nil
	}
	parsed, err := time.ParseDuration(s)
	if err != nil {
		d.invalid = string(b)
		return nil
	}
	d.Duration = parsed
	return nil
}

// MarshalJSON implements json.Marshaler: the duration, or the stored value
// as it was when it is invalid.
func (d Duration) MarshalJSON() ([]byte, error) {
	if d.invalid != "" {
		return []byte(d.invalid), nil
	}
	return json.Marshal(d.Duration.String())
}

// ToUnstructured implements the unstructured converter's interface, with the
// same output as MarshalJSON.
func (d Duration) ToUnstructured() interface{} {
	if d.invalid != "" {
		var v interface{}
		if err := json.Unmarshal([]byte(d.invalid), &v); err == nil {
			return v
		}
		return d.invalid
	}
	return d.Duration.String()
}

// Err says why the stored value is not a usable duration (nil when it is).
// The controller turns it into the InvalidSpec condition of that one object.
func (d *Duration) Err() error {
	if d == nil || d.invalid == "" {
		return nil
	}
	return fmt.Errorf("%s is not a duration (a number and a unit, e.g. 90s, 5m, 1h30m)", d.shown())
}

// shown is the invalid value for messages: the string (or the JSON, when
// it is not one), shortened.
func (d *Duration) shown() string {
	v := d.invalid
	var s string
	if json.Unmarshal([]byte(v), &s) == nil {
		v = s
	}
	if len(v) > 40 {
		return v[:40] + "..."
	}
	return v
}
