package v1alpha1

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Bounds of the duration fields. The CRD's CEL rules state the same values;
// TestDurationBoundsAgreeWithCRD keeps them in step.
const (
	MinRefreshInterval    = 10 * time.Second
	MaxRefreshInterval    = 168 * time.Hour
	MaxRevokeGracePeriod  = 168 * time.Hour
	MinPKITTL             = 10 * time.Second
	MaxPKITTL             = 87600 * time.Hour
	MinMonitoringInterval = time.Second
	MaxMonitoringInterval = time.Hour
)

var (
	// prometheusDuration is the ordered form prometheus-operator accepts.
	prometheusDuration = regexp.MustCompile(`^([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?([0-9]{1,6}ms)?$`)
	roleName           = regexp.MustCompile(`^[A-Za-z0-9_]([-A-Za-z0-9_.@]*[A-Za-z0-9_])?$`)
	authPath           = regexp.MustCompile(`^[-_.A-Za-z0-9]+(/[-_.A-Za-z0-9]+)*$`)
)

// ValidateSpec checks, in Go, the rules of the CRD whose violation would
// stop the controller or make it build invalid objects: durations that do
// not parse or are out of bounds, the object's name, the role and auth path.
// The current CRD rejects all of these at admission; an object admitted by an
// older CRD is caught here, so the controller can set InvalidSpec on that one
// object and go on with the others.
func (a *VaultApp) ValidateSpec() field.ErrorList {
	var errs field.ErrorList
	if msgs := validation.IsDNS1035Label(a.Name); len(msgs) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), a.Name, strings.Join(msgs, "; ")))
	}
	vault := field.NewPath("spec", "vault")
	v := &a.Spec.Vault
	if !roleName.MatchString(v.Role) || len(v.Role) > 128 {
		errs = append(errs, field.Invalid(vault.Child("role"), v.Role, "must be 1 to 128 letters, digits, '_', '-', '.' or '@', starting and ending with a letter, digit or '_'"))
	}
	if v.AuthPath != "" && (!authPath.MatchString(v.AuthPath) || len(v.AuthPath) > 128 || hasDotSegment(v.AuthPath)) {
		errs = append(errs, field.Invalid(vault.Child("authPath"), v.AuthPath, "must be segments of letters, digits, '_', '-' and '.' separated by single slashes, without '.' or '..' segments, at most 128 characters"))
	}
	errs = append(errs, checkDuration(vault.Child("refreshInterval"), v.RefreshInterval, MinRefreshInterval, MaxRefreshInterval)...)
	if v.Leases != nil {
		errs = append(errs, checkDuration(vault.Child("leases", "revokeGracePeriod"), v.Leases.RevokeGracePeriod, 0, MaxRevokeGracePeriod)...)
	}
	for i, is := range v.Issue {
		if is.PKI != nil {
			errs = append(errs, checkDuration(vault.Child("issue").Index(i).Child("pki", "ttl"), is.PKI.TTL, MinPKITTL, MaxPKITTL)...)
		}
	}
	if m := a.Spec.Monitoring; m != nil && m.Interval != "" {
		errs = append(errs, checkMonitoringInterval(field.NewPath("spec", "monitoring", "interval"), m.Interval)...)
	}
	return errs
}

// checkDuration reports a value that did not decode or is out of [lo, hi].
func checkDuration(path *field.Path, d *Duration, lo, hi time.Duration) field.ErrorList {
	switch {
	case d == nil:
		return nil
	case d.Err() != nil:
		return field.ErrorList{field.Invalid(path, d.shown(), "is not a duration (a number and a unit, e.g. 90s, 5m, 1h30m)")}
	case d.Duration < lo || d.Duration > hi:
		return field.ErrorList{field.Invalid(path, d.Duration.String(), fmt.Sprintf("must be at least %s and at most %s", lo, hi))}
	}
	return nil
}

// checkMonitoringInterval reports an interval prometheus-operator would not
// take or that is out of bounds.
func checkMonitoringInterval(path *field.Path, s string) field.ErrorList {
	d, err := time.ParseDuration(s)
	if !prometheusDuration.MatchString(s) || len(s) > 20 || err != nil {
		return field.ErrorList{field.Invalid(path, s, "must be a Prometheus duration such as 30s or 1m30s (h, m, s, ms in that order)")}
	}
	if d < MinMonitoringInterval || d > MaxMonitoringInterval {
		return field.ErrorList{field.Invalid(path, s, fmt.Sprintf("must be at least %s and at most %s", MinMonitoringInterval, MaxMonitoringInterval))}
	}
	return nil
}

func hasDotSegment(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

// maxRefreshRequestLength bounds the refresh annotation values the operator
// acts on: status.lastHandledRefreshRequest holds at most this many
// characters.
const maxRefreshRequestLength = 256

// PendingRefreshRequest returns the value of RefreshRequestedAnnotation when
// it asks for a refresh not handled yet (it differs from
// status.lastHandledRefreshRequest). Once Vault was re-read, the controller
// stores the value in status.lastHandledRefreshRequest, so each request runs
// once. Values longer than 256 characters are ignored.
func (a *VaultApp) PendingRefreshRequest() (string, bool) {
	v := a.Annotations[RefreshRequestedAnnotation]
	if v == "" || len(v) > maxRefreshRequestLength || v == a.Status.LastHandledRefreshRequest {
		return "", false
	}
	return v, true
}
