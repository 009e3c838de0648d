// Package logbuf batches log output: a Writer collects whole lines and
// writes them out together every interval, or sooner when the buffer
// fills. A gateway logs one line per request; writing each with its own
// syscall costs more CPU than formatting it, and on a busy 2-core host
// that CPU is taken from requests in flight.
//
// The price is that a process killed without warning (SIGKILL, OOM) loses
// at most the last interval of lines. Close, which serve runs on graceful
// shutdown, writes everything.
package logbuf

import (
	"io"
	"sync"
	"time"
)

// Writer is safe for concurrent use. Each Write should be whole lines, as
// log/slog handlers write them, so that a flush never splits a line.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	limit  int
	err    error // the first write error, reported by Flush and Close
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// New returns a Writer to w that flushes every interval, or as soon as
// limit bytes are waiting. An interval ≤ 0 disables batching: Write
// passes straight through.
func New(w io.Writer, interval time.Duration, limit int) *Writer {
	b := &Writer{w: w, limit: max(limit, 4096), stop: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		b.limit = 0
		close(b.done)
		return b
	}
	b.buf = make([]byte, 0, b.limit)
	go b.loop(interval)
	return b
}

func (b *Writer) loop(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Write queues p, writing it through at once when batching is off, when
// the Writer is closed, or when p would overflow the buffer.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.limit == 0 || b.closed {
		return b.w.Write(p)
	}
	if len(b.buf)+len(p) > b.limit {
		b.flushLocked()
		if len(p) >= b.limit {
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes what is buffered and reports the first write error seen.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.err
}

func (b *Writer) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	if _, err := b.w.Write(b.buf); err != nil && b.err == nil {
		b.err = err
	}
	b.buf = b.buf[:0]
}

// Close stops the timer and flushes; later Writes pass straight through,
// so lines logged during the rest of shutdown are not lost.
func (b *Writer) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		if b.limit > 0 {
			close(b.stop)
		}
	}
	b.mu.Unlock()
	<-b.done
	return b.Flush()
}
