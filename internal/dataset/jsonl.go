package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// MaxLineBytes bounds one JSONL line; longer lines are an error, not an OOM.
const MaxLineBytes = 16 << 20

// ReadJSONL decodes every non-blank line of path into a T. Errors name the
// file and the 1-based line. An empty file is an error.
func ReadJSONL[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	out, err := DecodeJSONL[T](f, path)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: file is empty (no JSON lines)", path)
	}
	return out, nil
}

// DecodeJSONL decodes JSON lines from r; name is used in error messages.
// Blank lines are skipped. Unknown fields are allowed so users may annotate.
func DecodeJSONL[T any](r io.Reader, name string) ([]T, error) {
	var out []T
	err := EachJSONLine(r, name, func(line int, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("%s:%d: invalid JSON: %w", name, line, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// EachJSONLine calls fn with each non-blank line and its 1-based number.
func EachJSONLine(r io.Reader, name string, fn func(line int, raw []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		raw, err := readLine(br)
		if len(raw) > MaxLineBytes {
			return fmt.Errorf("%s:%d: line longer than %d bytes", name, n, MaxLineBytes)
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 {
			if !utf8.Valid(t) {
				return fmt.Errorf("%s:%d: line is not valid UTF-8", name, n)
			}
			if ferr := fn(n, t); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: read: %w", name, n, err)
		}
	}
}

// readLine reads one line, stopping early (and draining) once it exceeds
// MaxLineBytes so a hostile file cannot exhaust memory.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		part, err := br.ReadSlice('\n')
		if len(buf)+len(part) <= MaxLineBytes+1 {
			buf = append(buf, part...)
		} else if len(buf) <= MaxLineBytes {
			buf = append(buf, part[:MaxLineBytes+1-len(buf)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, err
	}
}

// WriteJSONLAtomic writes rows to path through a temporary file in the same
// directory, fsyncs it and renames it into place, so a crash never leaves a
// half-written file and an existing file is replaced only by a complete one.
func WriteJSONLAtomic[T any](path string, rows []T) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for i := range rows {
			if err := enc.Encode(rows[i]); err != nil {
				return fmt.Errorf("encode row %d: %w", i+1, err)
			}
		}
		return bw.Flush()
	})
}

// WriteFileAtomic creates path's directory, streams content through write into
// a temporary sibling, fsyncs and renames it over path.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
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
