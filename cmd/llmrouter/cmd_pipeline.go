package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runPipeline(_ context.Context, _ *Env, _ []string) error {
	return errors.New("pipeline: not implemented yet")
}
