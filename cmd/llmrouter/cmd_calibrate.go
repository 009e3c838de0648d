package main

import (
	"context"
	"errors"
)

// TODO(owner): replace with the real command.
func runCalibrate(_ context.Context, _ *Env, _ []string) error {
	return errors.New("calibrate: not implemented yet")
}
