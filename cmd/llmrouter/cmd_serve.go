package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runServe(_ context.Context, _ *Env, _ []string) error {
	return errors.New("serve: not implemented yet")
}
