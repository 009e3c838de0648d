package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runOracle(_ context.Context, _ *Env, _ []string) error {
	return errors.New("oracle: not implemented yet")
}
