// Package jsonl reads and writes JSON Lines files: one JSON value per line,
// errors that name the file and line, and whole-file atomic writes.
package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
)

// MaxLineBytes bounds one JSONL line; longer lines are an error, not an OOM.
const MaxLineBytes = 16 << 20

// Read decodes every non-blank line of path into a T. Errors name the
// file and the 1-based line. An empty file is an error.
func Read[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	out, err := Decode[T](f, path)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: file is empty (no JSON lines)", path)
	}
	return out, nil
}

// Decode decodes JSON lines from r; name is used in error messages.
// Blank lines are skipped. Unknown fields are allowed so users may annotate.
func Decode[T any](r io.Reader, name string) ([]T, error) {
	var out []T
	err := EachLine(r, name, func(line int, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("%s:%d: invalid JSON: %w", name, line, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// EachLine calls fn with each non-blank line and its 1-based number.
func EachLine(r io.Reader, name string, fn func(line int, raw []byte) error) error {
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

// WriteAtomic writes rows to path through a temporary file in the same
// directory, fsyncs it and renames it into place, so a crash never leaves a
// half-written file and an existing file is replaced only by a complete one.
func WriteAtomic[T any](path string, rows []T) error {
	return atomicfile.Write(path, func(w io.Writer) error {
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
