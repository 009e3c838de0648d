package main

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

	"github.com/llmrouter/llmrouter/internal/dataset"
)

// stamp records what a pipeline stage last ran on. A stage is up to date
// when the recomputed stamp equals the stored one and every output exists:
// the same binary version, the same arguments, the same input bytes and
// untouched checked outputs.
type stamp struct {
	Stage   string            `json:"stage"`
	Version string            `json:"version"`
	Args    []string          `json:"args"`
	Inputs  map[string]string `json:"inputs"`  // path → sha256
	Outputs map[string]string `json:"outputs"` // path → sha256 (checked outputs only)
}

// hashFile returns the hex sha256 of a file, or of every regular file under
// a directory (names and bytes, in lexical order).
func hashFile(path string) (string, error) {
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
		sum, err := hashFile(p)
		if err != nil {
			return nil, fmt.Errorf("hash %s: %w", p, err)
		}
		out[p] = sum
	}
	return out, nil
}

// currentStamp computes s's stamp from the files on disk now. Missing
// inputs are an error; missing outputs make the stage stale (ok = false).
func currentStamp(s *stage) (st stamp, ok bool, err error) {
	st = stamp{Stage: s.name, Version: version, Args: slices.Clone(s.args)}
	if st.Inputs, err = hashAll(s.inputs); err != nil {
		return st, false, err
	}
	for _, p := range s.outputs {
		if _, err := os.Stat(p); err != nil {
			return st, false, nil
		}
	}
	if st.Outputs, err = hashAll(s.checked); err != nil {
		return st, false, nil
	}
	return st, true, nil
}

func readStamp(path string) (stamp, bool) {
	var st stamp
	b, err := os.ReadFile(path)
	if err != nil {
		return st, false
	}
	if json.Unmarshal(b, &st) != nil {
		return st, false // a corrupt stamp only means "rerun"
	}
	return st, true
}

func sameStamp(a, b stamp) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func writeStamp(path string, st stamp) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return dataset.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

func removeStamp(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
