package vault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"
)

// Category classifies a Vault failure so that callers can choose a retry
// policy, metrics can label it, and users get an error that says what to fix.
type Category string

const (
	// CategoryConnection: Vault could not be reached (DNS, refused, TLS, timeout).
	CategoryConnection Category = "connection"
	// CategoryAuth: the login itself was rejected (unknown role, bad JWT, SA not bound).
	CategoryAuth Category = "auth_failed"
	// CategoryPermissionDenied: logged in, but the token's policies do not allow the operation.
	CategoryPermissionDenied Category = "permission_denied"
	// CategoryInvalidPath: the path is malformed or not served by a usable secrets engine.
	CategoryInvalidPath Category = "invalid_path"
	// CategoryNotFound: nothing is stored at the path (or the latest KV v2 version is deleted).
	CategoryNotFound Category = "not_found"
	// CategoryUnavailable: Vault is sealed, a standby, rate limiting, or answered 5xx.
	CategoryUnavailable Category = "unavailable"
	// CategoryConflict: the path belongs to another owner, or a check-and-set
	// write lost against a concurrent writer.
	CategoryConflict Category = "conflict"
	// CategoryTooLarge: the request exceeded Vault's maximum request size.
	CategoryTooLarge Category = "too_large"
	// CategoryInvalidRequest: Vault rejected the request as malformed (HTTP 400).
	CategoryInvalidRequest Category = "invalid_request"
)

// Error is a categorised Vault failure. Its message never contains secret
// values: only the operation, the path and Vault's own error text.
type Error struct {
	Category Category
	// Op is what was attempted: "login", "read", "write", "delete", "mount lookup".
	Op string
	// Path is the Vault API path involved, if any.
	Path string
	// StatusCode is Vault's HTTP status, 0 when no response was received.
	StatusCode int
	Err        error
}

func (e *Error) Error() string {
	var b strings.Builder
	switch e.Category {
	case CategoryPermissionDenied:
		b.WriteString("permission denied")
	case CategoryConnection:
		b.WriteString("cannot reach vault")
	case CategoryUnavailable:
		b.WriteString("vault is unavailable")
	case CategoryNotFound:
		b.WriteString("not found")
	case CategoryConflict:
		b.WriteString("conflict")
	case CategoryTooLarge:
		b.WriteString("request too large")
	case CategoryAuth:
		if e.StatusCode == http.StatusForbidden {
			b.WriteString("permission denied")
		} else {
			b.WriteString("login rejected")
		}
	default:
		b.WriteString(string(e.Category))
	}
	if e.Path != "" {
		fmt.Fprintf(&b, " (path %q)", e.Path)
	}
	if d := e.detail(); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	}
	return b.String()
}

// detail is Vault's own explanation, flattened to one line, or the transport error.
func (e *Error) detail() string {
	if e.Err == nil {
		return ""
	}
	var re *vaultapi.ResponseError
	if errors.As(e.Err, &re) {
		msgs := make([]string, 0, len(re.Errors))
		for _, m := range re.Errors {
			// Vault wraps some answers as "1 error occurred:\n\t* permission denied".
			m = strings.Join(strings.Fields(m), " ")
			m = strings.TrimPrefix(m, "1 error occurred: * ")
			if m != "" && m != "permission denied" {
				msgs = append(msgs, m)
			}
		}
		return strings.Join(msgs, "; ")
	}
	return strings.Join(strings.Fields(e.Err.Error()), " ")
}

func (e *Error) Unwrap() error { return e.Err }

// CategoryOf returns the category of a Vault error, or "" for other errors.
func CategoryOf(err error) Category {
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Category
	}
	return ""
}

// IsCategory reports whether err is a Vault error of category c.
func IsCategory(err error, c Category) bool { return CategoryOf(err) == c }

// classify turns an error from the Vault API client into an *Error.
func classify(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var ve *Error
	if errors.As(err, &ve) {
		return err
	}
	e := &Error{Op: op, Path: path, Err: err}
	var re *vaultapi.ResponseError
	switch {
	case errors.As(err, &re):
		e.StatusCode = re.StatusCode
		e.Category = categoryForStatus(op, re)
	case errors.Is(err, context.Canceled):
		return err
	default:
		// Anything without a Vault response (refused, DNS, TLS, timeout,
		// connection reset) means Vault could not be talked to.
		e.Category = CategoryConnection
	}
	return e
}

func categoryForStatus(op string, re *vaultapi.ResponseError) Category {
	text := strings.ToLower(strings.Join(re.Errors, " "))
	switch {
	case op == "login" && (re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusBadRequest || re.StatusCode == http.StatusUnauthorized):
		return CategoryAuth
	case re.StatusCode == http.StatusForbidden:
		return CategoryPermissionDenied
	case re.StatusCode == http.StatusNotFound:
		return CategoryNotFound
	case re.StatusCode == http.StatusRequestEntityTooLarge:
		return CategoryTooLarge
	case re.StatusCode == http.StatusBadRequest && strings.Contains(text, "check-and-set"):
		return CategoryConflict
	case re.StatusCode == http.StatusBadRequest && strings.Contains(text, "no handler for route"):
		return CategoryInvalidPath
	case re.StatusCode == http.StatusBadRequest:
		return CategoryInvalidRequest
	case re.StatusCode == http.StatusTooManyRequests || re.StatusCode >= 500:
		return CategoryUnavailable
	default:
		return CategoryInvalidRequest
	}
}
