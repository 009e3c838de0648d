// Package syncbuf is a bytes buffer safe for concurrent writers: the log
// sink a test hands to the goroutines it starts (an oracle run, a gateway)
// and reads once they are done or while they run.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer keeps what is written until Discard; the zero value is ready.
type Buffer struct {
	mu        sync.Mutex
	b         bytes.Buffer
	discard   bool
	discarded int
}

// Write keeps p, or after Discard counts its lines and drops it.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.discard {
		s.discarded += bytes.Count(p, []byte("\n"))
		return len(p), nil
	}
	return s.b.Write(p)
}

// String returns what was kept.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Discard stops keeping writes and counts their lines instead, for long
// runs where the test's own buffer must not pass for heap growth of the
// code under test.
func (s *Buffer) Discard() {
	s.mu.Lock()
	s.discard = true
	s.mu.Unlock()
}

// Discarded is the number of lines written since Discard.
func (s *Buffer) Discarded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.discarded
}
