package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.errors = append(r.errors, f) }
func (r *recorder) Fatalf(f string, a ...any) { r.fatals = append(r.fatals, f) }
func (r *recorder) Fatal(a ...any)            { r.fatals = append(r.fatals, "fatal") }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	r := &recorder{TB: t}
	Check(r, path, []byte("a"))
	if len(r.fatals) != 1 {
		t.Fatalf("missing file: fatals %v", r.fatals)
	}
	if err := os.WriteFile(path, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = &recorder{TB: t}
	Check(r, path, []byte("a"))
	if len(r.errors)+len(r.fatals) != 0 {
		t.Fatalf("equal output failed: %v %v", r.errors, r.fatals)
	}
	Check(r, path, []byte("b"))
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "-update") {
		t.Fatalf("changed output: errors %v", r.errors)
	}
}

func TestUpdateRewrites(t *testing.T) {
	defer func(old bool) { *update = old }(*update)
	*update = true
	path := filepath.Join(t.TempDir(), "x.golden")
	r := &recorder{TB: t}
	Check(r, path, []byte("new"))
	if b, err := os.ReadFile(path); err != nil || string(b) != "new" || len(r.errors)+len(r.fatals) != 0 {
		t.Fatalf("file %q, %v; failures %v %v", b, err, r.errors, r.fatals)
	}
	if !Update() {
		t.Error("Update() = false under -update")
	}
}

func TestClip(t *testing.T) {
	long := []byte(strings.Repeat("x", 5000))
	if c := clip(long); len(c) > 2100 || !strings.HasSuffix(string(c), "…") || len(long) != 5000 {
		t.Errorf("clip: %d bytes", len(c))
	}
	if c := clip([]byte("short")); string(c) != "short" {
		t.Errorf("clip(short) = %q", c)
	}
}

func TestJSON(t *testing.T) {
	defer func(old bool) { *update = old }(*update)
	path := filepath.Join(t.TempDir(), "x.json")
	*update = true
	var want map[string]int
	JSON(t, path, map[string]int{"a": 1}, &want)
	if want["a"] != 1 {
		t.Fatalf("read back %v", want)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "{\n  \"a\": 1\n}\n" {
		t.Errorf("wrote %q", b)
	}
	*update = false
	var again map[string]int
	JSON(t, path, map[string]int{"a": 2}, &again)
	if again["a"] != 1 {
		t.Errorf("without -update the file was rewritten: %v", again)
	}
}
