package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.jsonl")
	stale := []string{".out.jsonl.tmp-123", ".out.jsonl.tmp-abc"}
	keep := []string{"out.jsonl", ".other.jsonl.tmp-1", "out.jsonl.tmp-9"}
	for _, n := range append(append([]string{}, stale...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveStaleTemps(target); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s survived", n)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
	// The helper targets exactly Write's naming.
	if err := Write(target, func(w io.Writer) error { _, err := w.Write([]byte("ok\n")); return err }); err != nil {
		t.Fatal(err)
	}
}
