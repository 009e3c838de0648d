// Package atomicfile replaces files whole: content goes to a temporary
// sibling that is fsynced and renamed over the target, so a crash leaves
// the old file or the new one, never a mix.
package atomicfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// RemoveStaleTemps deletes the temporary files Write leaves
// behind for path when a process is killed between creating and renaming
// them. Call it only where one writer owns path (e.g. a command's output
// directory at start-up), or it could delete a concurrent writer's file.
func RemoveStaleTemps(path string) error {
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	if err != nil {
		return fmt.Errorf("remove stale temp files of %s: %w", path, err)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale temp file: %w", err)
		}
	}
	return nil
}

// Write creates path's directory, streams content through write into
// a temporary sibling, fsyncs and renames it over path.
func Write(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp file in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes 0600 files; data files are meant to be shared and read.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // make the rename durable; not all filesystems support it
		d.Close()
	}
	return nil
}

// CheckDigest verifies data read from path against the size and sha256 a
// metadata file (metaName) recorded when both were written: a file
// truncated or swapped after the fact is refused, not decoded.
func CheckDigest(path string, data []byte, metaName string, size int, sha string) error {
	if len(data) != size {
		return fmt.Errorf("%s: %d bytes, %s expects %d (truncated or replaced)", path, len(data), metaName, size)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		return fmt.Errorf("%s: sha256 mismatch with %s (corrupt file)", path, metaName)
	}
	return nil
}
