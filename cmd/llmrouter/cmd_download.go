package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runDownload(_ context.Context, _ *Env, _ []string) error {
	return errors.New("download: not implemented yet")
}
