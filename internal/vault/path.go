package vault

import (
	"fmt"
	"strings"
	"unicode"
)

// MaxPathLength bounds user-supplied paths.
const MaxPathLength = 512

// ValidatePath checks a user-supplied Vault path ("secret/data/my-app")
// before anything is sent to Vault. It rejects what Vault would interpret
// differently from what the user meant, or what could escape a path policy:
// leading or trailing '/', empty, "." or ".." segments, whitespace and
// control characters.
func ValidatePath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("invalid vault path: empty")
	case len(p) > MaxPathLength:
		return fmt.Errorf("invalid vault path: longer than %d characters", MaxPathLength)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("invalid vault path %q: must not start with '/' (write it as %q)", p, strings.TrimLeft(p, "/"))
	case strings.HasSuffix(p, "/"):
		return fmt.Errorf("invalid vault path %q: must not end with '/'", p)
	}
	for _, r := range p {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("invalid vault path %q: contains whitespace or control characters", p)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("invalid vault path %q: empty segment ('//')", p)
		case ".", "..":
			return fmt.Errorf("invalid vault path %q: '.' and '..' segments are not allowed", p)
		}
	}
	return nil
}

// Location is a resolved KV secret: the mount, its KV version, and the
// secret's path inside the mount (without KV v2's "data/").
type Location struct {
	Mount   string `json:"mount"`   // e.g. "secret", no trailing slash
	Version int    `json:"version"` // 1 or 2
	Path    string `json:"path"`    // e.g. "my-app/db"
}

// Validate checks a location that did not come from ResolveKV (decoded
// from a record): a KV version of 1 or 2, and a mount and a path that pass
// ValidatePath, so that no "..", "." or "//" can reach the Vault client
// (which would clean "data/a/../../metadata/b" into another secret's
// metadata).
func (l Location) Validate() error {
	if l.Version != 1 && l.Version != 2 {
		return &Error{Category: CategoryInvalidPath, Op: "resolve", Err: fmt.Errorf("invalid KV version %d", l.Version)}
	}
	for _, p := range []string{l.Mount, l.Path} {
		if err := ValidatePath(p); err != nil {
			return &Error{Category: CategoryInvalidPath, Op: "resolve", Err: err}
		}
	}
	return nil
}

// String is the path as users and policies see it: "secret/data/my-app"
// for KV v2, "kv1/my-app" for KV v1.
func (l Location) String() string {
	if l.Version == 2 {
		return l.Mount + "/data/" + l.Path
	}
	return l.Mount + "/" + l.Path
}

// Child is the secret below l named name.
func (l Location) Child(name string) Location {
	l.Path = l.Path + "/" + name
	return l
}

// WithPrefix puts l under prefix inside the same mount
// ("clusters/prod" + "my-app" = "clusters/prod/my-app").
func (l Location) WithPrefix(prefix string) Location {
	if prefix != "" {
		l.Path = strings.Trim(prefix, "/") + "/" + l.Path
	}
	return l
}

// LocateIn resolves a validated user path inside the mount at mountPath
// (no trailing slash) of KV version kvVersion, as ResolveKV does once it
// knows the mount.
func LocateIn(p, mountPath string, kvVersion int) (Location, error) {
	return locate(p, mount{path: mountPath + "/", kind: "kv", version: kvVersion})
}

// locate splits a validated user path by its mount. For KV v2, a leading
// "data/" after the mount is dropped, so "secret/data/app" and "secret/app"
// name the same secret.
func locate(p string, m mount) (Location, error) {
	rel := strings.TrimPrefix(p+"/", m.path)
	rel = strings.TrimSuffix(rel, "/")
	loc := Location{Mount: strings.TrimSuffix(m.path, "/"), Version: m.version}
	if m.version == 2 {
		switch first, rest, _ := strings.Cut(rel, "/"); first {
		case "data":
			rel = rest
		case "metadata", "delete", "undelete", "destroy", "subkeys", "config":
			return loc, &Error{Category: CategoryInvalidPath, Op: "resolve", Path: p,
				Err: fmt.Errorf("%q is a KV v2 API path; name the secret as %s/data/<name>", first, loc.Mount)}
		}
	}
	if rel == "" {
		return loc, &Error{Category: CategoryInvalidPath, Op: "resolve", Path: p,
			Err: fmt.Errorf("the path names the mount %q but no secret inside it", loc.Mount)}
	}
	loc.Path = rel
	return loc, nil
}
