package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as the benchmark's child process
// (training, oracle and gateway jobs), as the bench binary does.
func TestMain(m *testing.M) {
	if isChild() {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}
