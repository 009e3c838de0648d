// Package golden compares test output with files under testdata/ and
// rewrites them when the tests run with -update, one flag name for every
// package: go test ./internal/report -update, then review the diff.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ from the current output")

// Update reports whether the tests were asked to rewrite their golden
// files, for tests that write a golden file in their own format.
func Update() bool { return *update }

// Check compares got with the golden file at path; with -update it writes
// got there first, so the comparison passes and the diff is left to review.
func Check(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the output; if the change is intended, run go test -update and review the diff:\n--- got\n%s\n--- want\n%s", path, clip(got), clip(want))
	}
}

// JSON reads the golden file at path into want, for tests that compare
// entry by entry; with -update it first writes got there as indented JSON.
func JSON(tb testing.TB, path string, got, want any) {
	tb.Helper()
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if err := json.Unmarshal(raw, want); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

// clip keeps a failure message readable for large golden files.
func clip(b []byte) []byte {
	const max = 2000
	if len(b) <= max {
		return b
	}
	return append(b[:max:max], "\n…"...)
}
