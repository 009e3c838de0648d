package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runRoute(_ context.Context, _ *Env, _ []string) error {
	return errors.New("route: not implemented yet")
}
