package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runSplit(_ context.Context, _ *Env, _ []string) error {
	return errors.New("split: not implemented yet")
}
