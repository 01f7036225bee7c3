package secretdata

import (
	"errors"
	"fmt"
	"strings"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// Every error of this package names what failed (an entry, a key, a
// template and its line) and never holds a secret value: the controller puts
// the messages into conditions and events, which more people may read than
// the Secret.

// Source is where a Secret key comes from, for messages.
type Source struct {
	// Field is the spec field, e.g. "spec.vault.secrets[2]".
	Field string
	// What says what the field selects, e.g. `key "url" of kv/data/billing/db`.
	What string
}

func (s Source) String() string { return s.Field + " (" + s.What + ")" }

// KeyNotFoundError: a keyed entry's key is not at its path, or a whole-path
// entry keeps no key of it. Available lists the key names there (names
// only).
type KeyNotFoundError struct {
	Entry     Source
	Path      string
	Key       string // empty for a whole path whose include/exclude keep nothing
	Available []string
}

func (e *KeyNotFoundError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: no key of vault path %s matches include and exclude (keys there: %s)", e.Entry.Field, e.Path, strings.Join(e.Available, ", "))
	}
	return fmt.Sprintf("%s: key %q not found at vault path %s (keys there: %s)", e.Entry.Field, e.Key, e.Path, strings.Join(e.Available, ", "))
}

// KeyConflictError: two sources produce the same Secret key.
type KeyConflictError struct {
	Key           string
	First, Second Source
}

func (e *KeyConflictError) Error() string {
	return fmt.Sprintf("secret key %q comes from both %s and %s; each key needs exactly one source (rename with targetKey or prefix, or narrow a whole path with include/exclude)", e.Key, e.First, e.Second)
}

// InvalidEntryError: an entry cannot be applied as written (a regular
// expression that does not compile, a Vault key that is no valid Secret key,
// a path that was not fetched).
type InvalidEntryError struct {
	Entry  Source
	Reason string
}

func (e *InvalidEntryError) Error() string { return e.Entry.Field + ": " + e.Reason }

// TemplateError: a template did not parse, was refused (see the limits in
// docs/secret-shaping.md), or failed to render. Line and Column are 1-based
// positions in the template (0 when unknown); Detail never holds a value.
type TemplateError struct {
	Template     Source
	Line, Column int
	Detail       string
}

func (e *TemplateError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s: line %d, column %d: %s", e.Template, e.Line, e.Column, e.Detail)
	case e.Line > 0:
		return fmt.Sprintf("%s: line %d: %s", e.Template, e.Line, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Template, e.Detail)
}

// TypeError: the data does not have what the Secret's type requires.
type TypeError struct {
	Type   string
	Key    string
	Detail string
}

func (e *TypeError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("Secret type %s: %s", e.Type, e.Detail)
	}
	return fmt.Sprintf("a Secret of type %s needs the key %s: %s", e.Type, e.Key, e.Detail)
}

// TooLargeError: the data is over the 1 MiB Kubernetes allows in a Secret.
type TooLargeError struct {
	What  string
	Bytes int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s would be %d bytes, over the %d bytes of a Kubernetes Secret", e.What, e.Bytes, MaxSecretBytes)
}

// ReasonFor maps an error of Build to the condition reason the controller
// sets (SecretsSynced=False), or "" for an error of another origin.
func ReasonFor(err error) string {
	var (
		notFound *KeyNotFoundError
		conflict *KeyConflictError
		invalid  *InvalidEntryError
		tmpl     *TemplateError
		typ      *TypeError
		large    *TooLargeError
	)
	switch {
	case errors.As(err, &notFound):
		return appv1alpha1.ReasonKeyNotFound
	case errors.As(err, &conflict):
		return appv1alpha1.ReasonKeyConflict
	case errors.As(err, &invalid):
		return appv1alpha1.ReasonInvalidSpec
	case errors.As(err, &tmpl):
		return appv1alpha1.ReasonTemplateFailed
	case errors.As(err, &typ):
		return appv1alpha1.ReasonSecretTypeInvalid
	case errors.As(err, &large):
		return appv1alpha1.ReasonSecretWriteFailed
	}
	return ""
}
