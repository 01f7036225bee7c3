package vault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"
)

func responseError(code int, msgs ...string) *vaultapi.ResponseError {
	return &vaultapi.ResponseError{StatusCode: code, Errors: msgs}
}

func TestCategoryForStatus(t *testing.T) {
	cases := []struct {
		name string
		op   string
		code int
		msg  string
		want Category
	}{
		{"should call a 400 login a refused login", "login", 400, "invalid role name", CategoryAuth},
		{"should call a 401 login a refused login", "login", 401, "", CategoryAuth},
		{"should call a 403 login a refused login", "login", 403, "permission denied", CategoryAuth},
		{"should call a 500 login an unavailable Vault", "login", 500, "", CategoryUnavailable},
		{"should call a 403 on a path a permission denial", "read", 403, "permission denied", CategoryPermissionDenied},
		{"should call a 404 not found", "read", 404, "", CategoryNotFound},
		{"should call a 413 too large", "write", 413, "http: request body too large", CategoryTooLarge},
		{"should call a failed check-and-set a conflict", "write", 400, "check-and-set parameter did not match the current version", CategoryConflict},
		{"should call a path without a route an invalid path", "read", 400, "1 error occurred:\n\t* no handler for route \"x/y\"", CategoryInvalidPath},
		{"should call another 400 an invalid request", "write", 400, "missing data", CategoryInvalidRequest},
		{"should call rate limiting an unavailable Vault", "read", 429, "", CategoryUnavailable},
		{"should call a sealed Vault unavailable", "read", 503, "Vault is sealed", CategoryUnavailable},
		{"should call a 500 an unavailable Vault", "read", 500, "internal error", CategoryUnavailable},
		{"should call an unexpected status an invalid request", "read", 405, "", CategoryInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := categoryForStatus(tc.op, responseError(tc.code, tc.msg)); got != tc.want {
				t.Fatalf("categoryForStatus(%s, %d) = %s, want %s", tc.op, tc.code, got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	already := &Error{Category: CategoryConflict, Op: "write"}
	refused := &url.Error{Op: "Get", URL: "http://vault:8200/v1/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	cases := []struct {
		name       string
		err        error
		want       Category
		wantStatus int
		same       bool // returned as is
	}{
		{name: "should return nil for no error", err: nil, same: true},
		{name: "should keep an error that is already classified", err: fmt.Errorf("wrapped: %w", already), want: CategoryConflict, same: true},
		{name: "should pass a cancelled context through unclassified", err: fmt.Errorf("get: %w", context.Canceled), same: true},
		{name: "should call a failure without a response a connection failure", err: refused, want: CategoryConnection},
		{name: "should call a timeout a connection failure", err: context.DeadlineExceeded, want: CategoryConnection},
		{name: "should classify a Vault answer by its status", err: fmt.Errorf("reading: %w", responseError(404)), want: CategoryNotFound, wantStatus: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := classify("read", "secret/data/x", tc.err)
			if tc.same {
				if got != tc.err || CategoryOf(got) != tc.want {
					t.Fatalf("classify(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			var ve *Error
			if !errors.As(got, &ve) || ve.Category != tc.want || ve.StatusCode != tc.wantStatus || ve.Op != "read" || ve.Path != "secret/data/x" {
				t.Fatalf("classify(%v) = %#v, want category %s, status %d", tc.err, got, tc.want, tc.wantStatus)
			}
			if !errors.Is(got, tc.err) {
				t.Fatal("the classified error does not unwrap to the original")
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	cases := []struct {
		name string
		err  *Error
		want string
	}{
		{"should drop Vault's bare permission denied wrapped as \"1 error occurred\"",
			&Error{Category: CategoryPermissionDenied, Path: "secret/data/x", Err: responseError(403, "1 error occurred:\n\t* permission denied\n\n")},
			`permission denied (path "secret/data/x")`},
		{"should unwrap and flatten Vault's one-error wrapper",
			&Error{Category: CategoryInvalidPath, Path: "x/y", Err: responseError(400, "1 error occurred:\n\t* no handler for route \"x/y\"\n\n")},
			`invalid_path (path "x/y"): no handler for route "x/y"`},
		{"should join several Vault errors",
			&Error{Category: CategoryInvalidRequest, Err: responseError(400, "missing data", "", "bad\n  option")},
			"invalid_request: missing data; bad option"},
		{"should flatten a transport error to one line",
			&Error{Category: CategoryConnection, Path: "sys/health", Err: errors.New("dial tcp 10.0.0.1:8200:\n   connection refused")},
			`cannot reach vault (path "sys/health"): dial tcp 10.0.0.1:8200: connection refused`},
		{"should name an unavailable Vault", &Error{Category: CategoryUnavailable, Err: responseError(503, "Vault is sealed")},
			"vault is unavailable: Vault is sealed"},
		{"should name a missing secret", &Error{Category: CategoryNotFound, Path: "kv1/app"}, `not found (path "kv1/app")`},
		{"should name a conflict", &Error{Category: CategoryConflict, Path: "p", Err: errors.New("it belongs to a/b")}, `conflict (path "p"): it belongs to a/b`},
		{"should name a request over the size limit", &Error{Category: CategoryTooLarge}, "request too large"},
		{"should call a 403 login a permission denial", &Error{Category: CategoryAuth, StatusCode: 403, Path: "auth/k8s/login",
			Err: responseError(403, "permission denied")}, `permission denied (path "auth/k8s/login")`},
		{"should call another refused login a rejected login", &Error{Category: CategoryAuth, StatusCode: 400,
			Err: responseError(400, "invalid role name \"x\"")}, `login rejected: invalid role name "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCategoryOfSeesThroughWrapping(t *testing.T) {
	err := fmt.Errorf("sync web: %w", &Error{Category: CategoryTooLarge})
	if CategoryOf(err) != CategoryTooLarge || !IsCategory(err, CategoryTooLarge) || IsCategory(err, CategoryConflict) {
		t.Fatalf("CategoryOf(%v) = %q", err, CategoryOf(err))
	}
	if CategoryOf(errors.New("plain")) != "" || CategoryOf(nil) != "" {
		t.Fatal("errors that are not Vault's have a category")
	}
}
