package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runPrepare(_ context.Context, _ *Env, _ []string) error {
	return errors.New("prepare: not implemented yet")
}
