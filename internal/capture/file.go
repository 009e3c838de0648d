package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// file is the capture file and its rotated predecessors, appended to by
// the writer's goroutine only.
type file struct {
	path string
	log  *slog.Logger
	f    *os.File
	size int64
}

// append writes data with one write, rotating first when it would take
// the file past maxBytes. On error the file is closed, so the next batch
// opens it again (the disk may have been freed or the directory created).
func (c *file) append(data []byte, maxBytes int64, keep int, rotations *atomic.Uint64) error {
	if len(data) == 0 {
		return nil
	}
	c.reopenIfMoved()
	if err := c.open(); err != nil {
		return err
	}
	if c.size > 0 && c.size+int64(len(data)) > maxBytes {
		if err := c.rotate(keep); err != nil {
			return err
		}
		rotations.Add(1)
		if err := c.open(); err != nil {
			return err
		}
	}
	if _, err := c.f.Write(data); err != nil {
		// A short write (ENOSPC) leaves part of a line: cut it off so the
		// file stays whole lines for the next batch.
		if terr := c.f.Truncate(c.size); terr != nil && !errors.Is(terr, fs.ErrInvalid) {
			c.log.Warn("capture: could not cut off a partly written batch", "path", c.path, "error", terr)
		}
		_ = c.f.Close()
		c.f = nil
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	c.size += int64(len(data))
	return nil
}

// reopenIfMoved closes the file when path no longer names it: someone
// moved it away to label it (or deleted it), and expects new rows in a
// new file there, not appended to the one they took.
func (c *file) reopenIfMoved() {
	if c.f == nil {
		return
	}
	cur, err := c.f.Stat()
	if err != nil {
		return
	}
	if now, err := os.Stat(c.path); err == nil && os.SameFile(cur, now) {
		if now.Size() < c.size { // truncated in place (copytruncate)
			c.size = now.Size()
		}
		return
	}
	if err := c.close(); err != nil {
		c.log.Warn("capture: could not close the file moved away from its path", "path", c.path, "error", err)
	}
	c.log.Info("capture: the file was moved or removed; starting a new one", "path", c.path)
}

// open opens the file for appending (creating its directory), unless it
// is open already, and repairs a torn last line.
func (c *file) open() error {
	if c.f != nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o750); err != nil {
		return fmt.Errorf("open %s: %w", c.path, err)
	}
	// 0600: the rows are the users' own questions.
	f, err := os.OpenFile(c.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", c.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("open %s: %w", c.path, err)
	}
	size := st.Size()
	if st.Mode().IsRegular() && size > 0 {
		if size, err = repairTail(f, size); err != nil {
			_ = f.Close()
			return fmt.Errorf("open %s: %w", c.path, err)
		}
		if size != st.Size() {
			c.log.Warn("capture: cut off an incomplete last line left by an earlier crash",
				"path", c.path, "bytes", st.Size()-size)
		}
	}
	c.f, c.size = f, size
	return nil
}

// repairTail truncates f after its last newline when it does not end with
// one (a process killed mid-write), and returns the new size.
func repairTail(f *os.File, size int64) (int64, error) {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if end == size && b[len(b)-1] == '\n' {
			return size, nil
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			end = start + int64(i) + 1
			break
		}
		end = start
	}
	if err := f.Truncate(end); err != nil {
		return 0, err
	}
	return end, nil
}

// rotate closes the file and shifts path → path.1 → … → path.keep; the
// oldest beyond keep is replaced (and any left by a larger keep removed).
func (c *file) rotate(keep int) error {
	if err := c.close(); err != nil {
		return fmt.Errorf("rotate %s: %w", c.path, err)
	}
	for i := keep + 1; ; i++ {
		if err := os.Remove(c.rotated(i)); err != nil {
			break
		}
	}
	for i := keep; i >= 1; i-- {
		if err := os.Rename(c.rotated(i-1), c.rotated(i)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate %s: %w", c.path, err)
		}
	}
	return nil
}

// rotated is the name of the i-th rotated file; 0 is the live one.
func (c *file) rotated(i int) string {
	if i == 0 {
		return c.path
	}
	return c.path + "." + strconv.Itoa(i)
}

// close syncs and closes the file; the rows in it then survive a crash.
func (c *file) close() error {
	if c.f == nil {
		return nil
	}
	f := c.f
	c.f, c.size = nil, 0
	serr := f.Sync()
	if errors.Is(serr, fs.ErrInvalid) { // not a regular file (/dev/…)
		serr = nil
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", c.path, err)
	}
	if serr != nil {
		return fmt.Errorf("sync %s: %w", c.path, serr)
	}
	return nil
}
