package e2e

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// WaitFor calls ok at once and then every interval until it returns true
// (nil), timeout passes or ctx ends (the error says which). For programs
// without Gomega (the sandbox, the benchmark); tests use Eventually.
func WaitFor(ctx context.Context, interval, timeout time.Duration, ok func() bool) error {
	return wait.PollUntilContextTimeout(ctx, interval, timeout, true, func(context.Context) (bool, error) {
		return ok(), nil
	})
}
