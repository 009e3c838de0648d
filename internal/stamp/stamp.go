// Package stamp decides whether a pipeline stage is up to date. After a
// stage runs, its stamp records what it ran on: the binary version, its
// arguments, the bytes of its inputs and of the outputs no later stage
// rewrites. A rerun skips the stage while the recomputed stamp equals the
// stored one and every output exists, so editing an input, changing a flag
// or touching a checked output reruns exactly the stages it affects.
package stamp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
)

// Spec is what decides whether a stage is up to date.
type Spec struct {
	Stage, Version string
	Args           []string
	// Inputs are hashed: a change reruns the stage.
	Inputs []string
	// Outputs must exist.
	Outputs []string
	// Checked outputs are hashed too: those no later stage rewrites.
	Checked []string
}

// Record is the stored stamp, one JSON file per stage.
type Record struct {
	Stage   string            `json:"stage"`
	Version string            `json:"version"`
	Args    []string          `json:"args"`
	Inputs  map[string]string `json:"inputs"`  // path → sha256
	Outputs map[string]string `json:"outputs"` // path → sha256 (checked outputs only)
}

// Compute builds s's record from the files on disk now. Missing inputs are
// an error; a missing or unreadable output makes the stage stale (ok =
// false).
func Compute(s Spec) (r Record, ok bool, err error) {
	r = Record{Stage: s.Stage, Version: s.Version, Args: slices.Clone(s.Args)}
	if r.Inputs, err = hashAll(s.Inputs); err != nil {
		return r, false, err
	}
	for _, p := range s.Outputs {
		if _, err := os.Stat(p); err != nil {
			return r, false, nil
		}
	}
	if r.Outputs, err = hashAll(s.Checked); err != nil {
		return r, false, nil
	}
	return r, true, nil
}

// Fresh reports whether the stage stamped at path is up to date: its
// outputs exist and its recomputed record equals the stored one.
func Fresh(path string, s Spec) (bool, error) {
	cur, ok, err := Compute(s)
	if err != nil || !ok {
		return false, err
	}
	prev, found := Load(path)
	return found && prev.Equal(cur), nil
}

// Equal reports whether two records describe the same run.
func (r Record) Equal(o Record) bool {
	a, _ := json.Marshal(r)
	b, _ := json.Marshal(o)
	return bytes.Equal(a, b)
}

// Load reads a stored record; a missing or corrupt file reads as absent,
// which only means "rerun".
func Load(path string) (Record, bool) {
	var r Record
	b, err := os.ReadFile(path)
	if err != nil {
		return r, false
	}
	if json.Unmarshal(b, &r) != nil {
		return r, false
	}
	return r, true
}

// Save writes r atomically, so an interrupted save leaves no stamp rather
// than a wrong one.
func Save(path string, r Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Remove deletes a stamp before its stage reruns, so a run that fails
// halfway is never taken for up to date; a missing stamp is no error.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// hashPath returns the hex sha256 of a file, or of every regular file under a
// directory (names and bytes, in lexical order).
func hashPath(path string) (string, error) {
	h := sha256.New()
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		if err := copyInto(h, path); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		return copyInto(h, p)
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyInto(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

func hashAll(paths []string) (map[string]string, error) {
	out := make(map[string]string, len(paths))
	for _, p := range paths {
		sum, err := hashPath(p)
		if err != nil {
			return nil, fmt.Errorf("hash %s: %w", p, err)
		}
		out[p] = sum
	}
	return out, nil
}
