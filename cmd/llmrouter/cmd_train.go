package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runTrain(_ context.Context, _ *Env, _ []string) error {
	return errors.New("train: not implemented yet")
}
