package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider/sse"
)

// ErrorParser extracts the protocol's error status and message from an error
// body. It returns the zero value when the body is not in the expected shape.
type ErrorParser func(body []byte) ErrorDetail

// Do sends req and returns the response when its status is 2xx. Any other
// status is read (bounded), closed and returned as an *apierr.Error.
func (c Call) Do(ctx context.Context, hc *http.Client, req *http.Request, parse ErrorParser) (*http.Response, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.Transport(ctx, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	body := ReadErrorBody(resp.Body)
	_ = DrainClose(resp.Body)
	d := parse(body)
	if d.Message == "" && d.Status == "" {
		d.Message = snippet(body)
	}
	return nil, c.Status(resp.StatusCode, resp.Header, d, time.Now())
}

func snippet(b []byte) string {
	const n = 200
	s := string(b)
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// EventStream reads SSE events from an open response, turning transport
// failures, truncation and idle upstreams into *apierr.Error.
type EventStream struct {
	call   Call
	ctx    context.Context
	cancel context.CancelFunc
	body   io.ReadCloser
	rd     *sse.Reader
	wd     *Watchdog
	idle   time.Duration
	once   sync.Once
}

// OpenEventStream sends req (built with ctx, which must come from the
// returned-stream's own cancelable context: pass streamCtx/cancel from
// context.WithCancel) and, on a 2xx, returns a stream over its body.
// cancel is called on Close and when the stream is idle for longer than idle.
func (c Call) OpenEventStream(ctx context.Context, cancel context.CancelFunc, hc *http.Client, req *http.Request,
	parse ErrorParser, idle time.Duration, maxEvent int) (*EventStream, error) {
	wd := NewWatchdog(idle, cancel)
	resp, err := c.Do(ctx, hc, req, parse)
	if err != nil {
		wd.Stop()
		cancel()
		if wd.Fired() {
			return nil, c.idleError(idle)
		}
		return nil, err
	}
	wd.Kick()
	return &EventStream{call: c, ctx: ctx, cancel: cancel, body: resp.Body,
		rd: sse.NewReader(resp.Body, maxEvent), wd: wd, idle: idle}, nil
}

func (c Call) idleError(idle time.Duration) *apierr.Error {
	return &apierr.Error{Code: apierr.Timeout,
		Msg: fmt.Sprintf("%s: stream idle for %s", c.prefix(), idle), Err: context.DeadlineExceeded}
}

// Next returns the next event, io.EOF at the end of the body, or an
// *apierr.Error.
func (s *EventStream) Next() (sse.Event, error) {
	ev, err := s.rd.Next()
	if err == nil {
		s.wd.Kick()
		return ev, nil
	}
	if err == io.EOF {
		return ev, io.EOF
	}
	switch {
	case s.wd.Fired():
		return ev, s.call.idleError(s.idle)
	case errors.Is(err, sse.ErrEventTooLarge):
		return ev, s.call.Malformed(err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ev, &apierr.Error{Code: apierr.UpstreamUnavailable,
			Msg: s.call.prefix() + ": stream broken mid-way", Err: io.ErrUnexpectedEOF}
	}
	return ev, s.call.Transport(s.ctx, err)
}

// Call returns the stream's call description for building errors.
func (s *EventStream) Call() Call { return s.call }

// Close releases the connection. It is safe to call more than once.
func (s *EventStream) Close() error {
	s.once.Do(func() {
		s.wd.Stop()
		// Cancel first: draining a live stream could block on a slow upstream.
		s.cancel()
		_ = s.body.Close()
	})
	return nil
}
