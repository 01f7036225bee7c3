// Package manifests decodes multi-document YAML (examples, samples, chart
// and kustomize output) and creates the objects, as `kubectl apply -f`
// does for new objects. Shared by the tests and the sandbox.
package manifests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Decode returns the objects of a multi-document YAML stream, skipping
// empty documents.
func Decode(b []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// ReadFile decodes a YAML file.
func ReadFile(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// Create creates every object, stopping at the first error.
func Create(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, opts ...client.CreateOption) error {
	for _, o := range objs {
		if err := c.Create(ctx, o, opts...); err != nil {
			return fmt.Errorf("create %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// CreateFile creates the objects of a YAML file.
func CreateFile(ctx context.Context, c client.Client, path string) error {
	objs, err := ReadFile(path)
	if err != nil {
		return err
	}
	if err := Create(ctx, c, objs); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Apply applies every object server-side, like `kubectl apply --server-side`:
// objects that already exist are updated, not refused.
func Apply(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("vault-sync-tests"), client.ForceOwnership); err != nil {
			return fmt.Errorf("apply %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}
