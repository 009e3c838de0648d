package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runUsage(_ context.Context, _ *Env, _ []string) error {
	return errors.New("usage: not implemented yet")
}
