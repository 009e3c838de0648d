// Package sse reads Server-Sent Events (the WHATWG "text/event-stream"
// format) as used by streaming LLM APIs. It follows the spec's parsing rules
// (data/event/id/retry fields, comments, multi-line data, LF, CRLF and lone
// CR line endings) with two deliberate hardenings for untrusted upstreams:
// every event is bounded in size, so a hostile or broken server cannot make
// us buffer without limit, and a stream that stops in the middle of a line
// is reported as truncated instead of silently dropping the partial event.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxEventBytes bounds one event's data when NewReader gets 0.
const DefaultMaxEventBytes = 8 << 20

// ErrEventTooLarge is returned when one event (or one line) exceeds the bound.
var ErrEventTooLarge = errors.New("sse: event too large")

// ErrTruncated is returned when the stream ends in the middle of a line. It
// wraps io.ErrUnexpectedEOF so callers can treat it as a broken connection.
var ErrTruncated = fmt.Errorf("sse: stream ended mid-line: %w", io.ErrUnexpectedEOF)

// Event is one dispatched event.
type Event struct {
	// Type is the "event:" field; empty means the default type "message".
	Type string
	// Data is the concatenated "data:" lines joined by "\n".
	Data string
	// ID is the last event ID seen so far in the stream (it persists).
	ID string
	// Retry is the reconnection time in milliseconds, -1 if not set.
	Retry int
}

// Reader parses events from an underlying reader. It is not safe for
// concurrent use.
type Reader struct {
	sc      *bufio.Scanner
	split   *splitter
	max     int
	lastID  string
	err     error
	data    bytes.Buffer
	sawData bool
	typ     string
	retry   int
	started bool
}

// NewReader returns a Reader bounding each event's data to maxEventBytes
// (DefaultMaxEventBytes when <= 0).
func NewReader(r io.Reader, maxEventBytes int) *Reader {
	if maxEventBytes <= 0 {
		maxEventBytes = DefaultMaxEventBytes
	}
	sp := &splitter{}
	sc := bufio.NewScanner(r)
	// A line holds at most the field name, ": " and the event's data.
	sc.Buffer(make([]byte, 0, 4096), maxEventBytes+256)
	sc.Split(sp.split)
	return &Reader{sc: sc, split: sp, max: maxEventBytes, retry: -1}
}

// Next returns the next event, io.EOF at the clean end of the stream, or an
// error (ErrEventTooLarge, ErrTruncated, or the underlying read error).
// After an error every later call returns the same error.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if !r.started {
			// The spec allows one leading UTF-8 byte order mark.
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
			r.started = true
		}
		if r.split.unterminated {
			r.err = ErrTruncated
			return Event{}, r.err
		}
		if len(line) == 0 {
			if ev, ok := r.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if err := r.field(line); err != nil {
			r.err = err
			return Event{}, err
		}
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = ErrEventTooLarge
		}
		r.err = err
		return Event{}, err
	}
	// The stream ended on a line boundary. An event whose lines were all
	// complete but lacked the final blank line is still whole: deliver it.
	if ev, ok := r.dispatch(); ok {
		return ev, nil
	}
	r.err = io.EOF
	return Event{}, io.EOF
}

func (r *Reader) field(line []byte) error {
	if line[0] == ':' {
		return nil // comment, e.g. keep-alive ": ping"
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		value = bytes.TrimPrefix(value, []byte(" "))
	}
	switch string(name) {
	case "data":
		if r.data.Len()+len(value)+1 > r.max {
			return ErrEventTooLarge
		}
		r.data.Write(value)
		r.data.WriteByte('\n')
		r.sawData = true
	case "event":
		r.typ = string(value)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.lastID = string(value)
		}
	case "retry":
		if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 && isDigits(value) {
			r.retry = n
		}
	}
	return nil
}

func (r *Reader) dispatch() (Event, bool) {
	defer func() {
		r.data.Reset()
		r.sawData = false
		r.typ = ""
		r.retry = -1
	}()
	if !r.sawData {
		return Event{}, false
	}
	data := strings.TrimSuffix(r.data.String(), "\n")
	return Event{Type: r.typ, Data: data, ID: r.lastID, Retry: r.retry}, true
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// splitter is a bufio.SplitFunc splitting on LF, CRLF or a lone CR, and
// noting whether the final token ended without a line terminator.
type splitter struct {
	unterminated bool
}

func (s *splitter) split(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		// A CR: it may be the first half of a CRLF split across reads.
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // need one more byte to decide
	}
	if atEOF {
		s.unterminated = true
		return len(data), data, nil
	}
	return 0, nil, nil
}
