// Package providertest has function-field fakes of provider.Provider and
// provider.Stream for tests in any package.
package providertest

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// Fake is a Provider whose behaviour is set per test. Calls counts every
// Complete and Stream call.
type Fake struct {
	CompleteFunc func(ctx context.Context, req *provider.Request) (*provider.Response, error)
	StreamFunc   func(ctx context.Context, req *provider.Request) (provider.Stream, error)
	calls        atomic.Int64
}

var _ provider.Provider = (*Fake)(nil)

// Complete calls CompleteFunc, or returns an echo of the last message.
func (f *Fake) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	f.calls.Add(1)
	if f.CompleteFunc != nil {
		return f.CompleteFunc(ctx, req)
	}
	text := ""
	if n := len(req.Messages); n > 0 {
		text = req.Messages[n-1].Content
	}
	return &provider.Response{Text: text, FinishReason: "stop", Model: req.Model}, nil
}

// Stream calls StreamFunc, or streams Complete's answer in one chunk.
func (f *Fake) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	if f.StreamFunc != nil {
		f.calls.Add(1)
		return f.StreamFunc(ctx, req)
	}
	resp, err := f.Complete(ctx, req)
	if err != nil {
		return nil, err
	}
	u := resp.Usage
	return NewSliceStream(provider.Chunk{Text: resp.Text},
		provider.Chunk{FinishReason: resp.FinishReason, ToolCalls: resp.ToolCalls, Usage: &u}), nil
}

// Calls returns how many calls were made.
func (f *Fake) Calls() int { return int(f.calls.Load()) }

// SliceStream yields fixed chunks, then Err (io.EOF when nil).
type SliceStream struct {
	mu     sync.Mutex
	Chunks []provider.Chunk
	Err    error
	closed bool
}

var _ provider.Stream = (*SliceStream)(nil)

// NewSliceStream returns a stream of chunks ending with io.EOF.
func NewSliceStream(chunks ...provider.Chunk) *SliceStream {
	return &SliceStream{Chunks: chunks}
}

// Recv returns the next chunk.
func (s *SliceStream) Recv() (provider.Chunk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return provider.Chunk{}, io.ErrClosedPipe
	}
	if len(s.Chunks) == 0 {
		if s.Err != nil {
			return provider.Chunk{}, s.Err
		}
		return provider.Chunk{}, io.EOF
	}
	c := s.Chunks[0]
	s.Chunks = s.Chunks[1:]
	return c, nil
}

// Close marks the stream closed.
func (s *SliceStream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// Closed reports whether Close was called.
func (s *SliceStream) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Collect reads s to the end, joining text and keeping the last chunk's
// finish reason and usage. It always closes s.
func Collect(s provider.Stream) (*provider.Response, error) {
	defer s.Close()
	var out provider.Response
	var text []byte
	for {
		c, err := s.Recv()
		if err == io.EOF {
			out.Text = string(text)
			return &out, nil
		}
		if err != nil {
			out.Text = string(text)
			return &out, err
		}
		text = append(text, c.Text...)
		out.ToolCalls = append(out.ToolCalls, c.ToolCalls...)
		if c.FinishReason != "" {
			out.FinishReason = c.FinishReason
		}
		if c.Usage != nil {
			out.Usage = *c.Usage
		}
	}
}

// Chunks reads s to its end without closing it, failing tb on any error
// but io.EOF, for tests that check each chunk a client streams.
func Chunks(tb testing.TB, s provider.Stream) []provider.Chunk {
	tb.Helper()
	var out []provider.Chunk
	for {
		c, err := s.Recv()
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatalf("stream chunk %d: %v", len(out), err)
		}
		out = append(out, c)
	}
}
