package secretdata

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	appv1alpha1 "github.com/vault-sync-io/vault-sync-operator/api/v1alpha1"
)

// Selected is one Secret key an entry of spec.vault.secrets produced.
type Selected struct {
	Key    string
	Value  []byte
	Source Source
}

// Select returns the keys every entry contributes, in the order of the
// entries (a whole path's keys sorted): a keyed entry its targetKey, a whole
// path each key matching include and not exclude, with the prefix. fetched
// must hold every path of the entries.
func Select(entries []appv1alpha1.SecretRef, fetched Fetched) ([]Selected, error) {
	var out []Selected
	for i, e := range entries {
		field := fmt.Sprintf("spec.vault.secrets[%d]", i)
		data, ok := fetched[e.Path]
		if !ok {
			return nil, &InvalidEntryError{Entry: Source{Field: field, What: e.Path}, Reason: fmt.Sprintf("vault path %s was not fetched", e.Path)}
		}
		var (
			sel []Selected
			err error
		)
		if e.Key != "" {
			sel, err = selectKey(field, e, data)
		} else {
			sel, err = selectPath(field, e, data)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sel...)
	}
	return out, nil
}

// selectKey is the one value of a keyed entry.
func selectKey(field string, e appv1alpha1.SecretRef, data map[string]any) ([]Selected, error) {
	src := Source{Field: field, What: fmt.Sprintf("key %q of %s", e.Key, e.Path)}
	v, ok := data[e.Key]
	if !ok {
		return nil, &KeyNotFoundError{Entry: src, Path: e.Path, Key: e.Key, Available: sortedKeys(data)}
	}
	if err := checkSecretKey(e.TargetKey); err != nil {
		return nil, &InvalidEntryError{Entry: src, Reason: fmt.Sprintf("targetKey %q %s", e.TargetKey, err)}
	}
	return []Selected{{Key: e.TargetKey, Value: ValueBytes(v), Source: src}}, nil
}

// selectPath is every kept key of a whole path.
func selectPath(field string, e appv1alpha1.SecretRef, data map[string]any) ([]Selected, error) {
	entry := Source{Field: field, What: "every key of " + e.Path}
	include, err := compileAll(e.Include)
	if err != nil {
		return nil, &InvalidEntryError{Entry: entry, Reason: "include: " + err.Error()}
	}
	exclude, err := compileAll(e.Exclude)
	if err != nil {
		return nil, &InvalidEntryError{Entry: entry, Reason: "exclude: " + err.Error()}
	}
	var out []Selected
	for _, k := range sortedKeys(data) {
		if (len(include) > 0 && !anyMatch(include, k)) || anyMatch(exclude, k) {
			continue
		}
		key := e.Prefix + k
		src := Source{Field: field, What: fmt.Sprintf("key %q of %s", k, e.Path)}
		if err := checkSecretKey(key); err != nil {
			return nil, &InvalidEntryError{Entry: src, Reason: fmt.Sprintf("%q %s; leave it out with exclude, or select it with key and targetKey", key, err)}
		}
		out = append(out, Selected{Key: key, Value: ValueBytes(data[k]), Source: src})
	}
	if len(out) == 0 {
		return nil, &KeyNotFoundError{Entry: entry, Path: e.Path, Available: sortedKeys(data)}
	}
	return out, nil
}

// checkSecretKey reports a name Kubernetes refuses as a Secret key.
func checkSecretKey(k string) error {
	if msgs := validation.IsConfigMapKey(k); len(msgs) > 0 {
		return fmt.Errorf("is not a valid Secret key: %s", strings.Join(msgs, "; "))
	}
	return nil
}

func compileAll(exprs []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(exprs))
	for _, x := range exprs {
		re, err := regexp.Compile(x)
		if err != nil {
			return nil, err
		}
		out = append(out, re)
	}
	return out, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(s) })
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
