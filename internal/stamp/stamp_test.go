package stamp

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestComputeDetectsChanges(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	writeFile(t, in, "a")
	s := Spec{Stage: "x", Version: "v1", Args: []string{"--flag", "1"}, Inputs: []string{in}, Outputs: []string{out}, Checked: []string{out}}
	if _, ok, err := Compute(s); err != nil || ok {
		t.Fatalf("missing output: ok=%v err=%v, want stale", ok, err)
	}
	writeFile(t, out, "b")
	first, ok, err := Compute(s)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	sp := filepath.Join(dir, "stamp.json")
	if err := Save(sp, first); err != nil {
		t.Fatal(err)
	}
	stored, found := Load(sp)
	if !found || !stored.Equal(first) {
		t.Fatal("stamp did not round-trip")
	}
	changes := map[string]func(s *Spec){
		"input edited":    func(*Spec) { writeFile(t, in, "a2") },
		"output edited":   func(*Spec) { writeFile(t, out, "b2") },
		"flag changed":    func(s *Spec) { s.Args = []string{"--flag", "2"} },
		"version changed": func(s *Spec) { s.Version = "v2" },
	}
	for name, change := range changes {
		changed := s
		change(&changed)
		now, _, err := Compute(changed)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Equal(now) {
			t.Errorf("%s: stamp unchanged", name)
		}
		if fresh, err := Fresh(sp, changed); err != nil || fresh {
			t.Errorf("%s: fresh=%v err=%v", name, fresh, err)
		}
		writeFile(t, in, "a")
		writeFile(t, out, "b")
	}
	if fresh, err := Fresh(sp, s); err != nil || !fresh {
		t.Fatalf("unchanged stage: fresh=%v err=%v", fresh, err)
	}
	writeFile(t, sp, "{corrupt")
	if _, found := Load(sp); found {
		t.Error("a corrupt stamp must read as absent")
	}
	if fresh, err := Fresh(sp, s); err != nil || fresh {
		t.Errorf("corrupt stamp: fresh=%v err=%v", fresh, err)
	}
	s.Inputs = []string{filepath.Join(dir, "missing")}
	if _, _, err := Compute(s); err == nil {
		t.Error("missing input must be an error")
	}
	if _, err := Fresh(sp, s); err == nil {
		t.Error("Fresh: missing input must be an error")
	}
}

// An unchecked output (one a later stage rewrites) only has to exist.
func TestUncheckedOutputOnlyExists(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "model.json")
	writeFile(t, out, "v1")
	s := Spec{Stage: "train", Outputs: []string{out}}
	r, ok, err := Compute(s)
	if err != nil || !ok || len(r.Outputs) != 0 {
		t.Fatalf("record %+v, ok=%v, err=%v", r, ok, err)
	}
	sp := filepath.Join(dir, "train.json")
	if err := Save(sp, r); err != nil {
		t.Fatal(err)
	}
	writeFile(t, out, "rewritten by calibrate")
	if fresh, err := Fresh(sp, s); err != nil || !fresh {
		t.Errorf("fresh=%v err=%v, want fresh", fresh, err)
	}
}

func TestDirectoryHashCoversNamesAndBytes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "m", "a.json"), "1")
	writeFile(t, filepath.Join(dir, "m", "sub", "b.bin"), "2")
	base, err := hashPath(filepath.Join(dir, "m"))
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := hashPath(filepath.Join(dir, "m")); again != base {
		t.Fatal("hash is not deterministic")
	}
	writeFile(t, filepath.Join(dir, "m", "sub", "b.bin"), "3")
	if h, _ := hashPath(filepath.Join(dir, "m")); h == base {
		t.Error("a changed file left the directory hash unchanged")
	}
	writeFile(t, filepath.Join(dir, "m", "sub", "b.bin"), "2")
	if err := os.Rename(filepath.Join(dir, "m", "a.json"), filepath.Join(dir, "m", "c.json")); err != nil {
		t.Fatal(err)
	}
	if h, _ := hashPath(filepath.Join(dir, "m")); h == base {
		t.Error("a renamed file left the directory hash unchanged")
	}
}

func TestRemove(t *testing.T) {
	sp := filepath.Join(t.TempDir(), "s.json")
	if err := Remove(sp); err != nil {
		t.Errorf("missing stamp: %v", err)
	}
	writeFile(t, sp, "{}")
	if err := Remove(sp); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sp); !os.IsNotExist(err) {
		t.Errorf("stamp still there: %v", err)
	}
}

// Stamps written by earlier builds must still read: the file format is
// what a pipeline directory already holds.
func TestFileFormat(t *testing.T) {
	sp := filepath.Join(t.TempDir(), "s.json")
	writeFile(t, sp, `{
  "stage": "split",
  "version": "dev",
  "args": ["--seed", "42"],
  "inputs": {"a": "00"},
  "outputs": {}
}
`)
	r, ok := Load(sp)
	want := Record{Stage: "split", Version: "dev", Args: []string{"--seed", "42"}, Inputs: map[string]string{"a": "00"}, Outputs: map[string]string{}}
	if !ok || !r.Equal(want) {
		t.Fatalf("read %+v, %v", r, ok)
	}
}
