package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runEval(_ context.Context, _ *Env, _ []string) error {
	return errors.New("eval: not implemented yet")
}
