package server

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// serveStream opens the first model of the chain that yields a first
// chunk; until then nothing is written, so a failed model falls back
// invisibly. After it, failures end the stream with an error event.
func (s *Server) serveStream(x *exchange) {
	var (
		opened *attempt
		st     provider.Stream
		first  provider.Chunk
	)
	err := s.tryChain(x, func(a *attempt) error {
		var err error
		st, first, err = s.open(x, a)
		opened = a
		return err
	})
	if err != nil {
		s.fail(x, err)
		return
	}
	s.pump(x, opened, st, first)
}

// open starts the upstream stream and waits for its first chunk.
func (s *Server) open(x *exchange, a *attempt) (provider.Stream, provider.Chunk, error) {
	st, err := a.p.Stream(x.ctx, a.req)
	if err != nil {
		return nil, provider.Chunk{}, err
	}
	first, err := st.Recv()
	if err != nil {
		_ = st.Close()
		if errors.Is(err, io.EOF) {
			err = apierr.New(apierr.UpstreamUnavailable, "%s closed the stream before sending anything", a.name)
		}
		return nil, provider.Chunk{}, err
	}
	return st, first, nil
}

// sseWriter writes OpenAI chunk events and remembers the first write error
// (the client went away); later writes are skipped.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
	err error
}

func (sw *sseWriter) event(v any) {
	if sw.err != nil {
		return
	}
	var err error
	if sw.buf, err = openaiapi.AppendSSE(sw.buf[:0], v); err != nil {
		sw.err = err
		return
	}
	sw.raw(sw.buf)
}

func (sw *sseWriter) raw(b []byte) {
	if sw.err != nil {
		return
	}
	if _, err := sw.w.Write(b); err != nil {
		sw.err = err
		return
	}
	sw.err = sw.rc.Flush()
}

// streamState accumulates what the usage estimate needs if the upstream
// never reports usage.
type streamState struct {
	text  strings.Builder
	calls []provider.ToolCall
	usage *provider.Usage
}

func (st *streamState) add(c provider.Chunk) {
	st.text.WriteString(c.Text)
	st.calls = append(st.calls, c.ToolCalls...)
	if c.Usage != nil {
		u := *c.Usage
		st.usage = &u
	}
}

// openSSE sends the headers of a 200 event stream.
func (s *Server) openSSE(x *exchange) (*sseWriter, *openaiapi.ChunkEncoder) {
	h := x.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies must not buffer SSE
	h.Set("Trailer", "X-Router-Cost-USD")
	s.routerHeaders(x)
	x.w.WriteHeader(http.StatusOK)
	x.status = http.StatusOK
	sw := &sseWriter{w: x.w, rc: http.NewResponseController(x.w), buf: make([]byte, 0, 512)}
	return sw, &openaiapi.ChunkEncoder{ID: x.id, Model: x.model, Created: x.start.Unix()}
}

func (s *Server) pump(x *exchange, a *attempt, up provider.Stream, first provider.Chunk) {
	defer up.Close()
	sw, enc := s.openSSE(x)
	var acc streamState
	acc.add(first)
	sw.event(enc.Chunk(first))
	s.metrics.ttft.WithLabelValues("chat", x.model).Observe(s.now().Sub(x.start).Seconds())

	var upErr error
	for sw.err == nil {
		c, err := up.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				upErr = err
			}
			break
		}
		acc.add(c)
		if c.Text != "" || c.Refusal != "" || len(c.ToolCalls) > 0 || c.FinishReason != "" {
			sw.event(enc.Chunk(c))
		}
	}
	_ = up.Close() // stop the upstream now, not after the bookkeeping

	var usage provider.Usage
	if acc.usage != nil {
		usage = *acc.usage
	} else {
		// Cut short, or an upstream that reports no usage: charge an
		// estimate of what was billed rather than nothing.
		usage = provider.EstimateUsage(a.req, acc.text.String(), acc.calls)
	}
	errType := ""
	if upErr != nil {
		errType = string(apierr.CodeOf(upErr))
	}
	s.settle(x, a, usage, errType)
	s.endStream(x, sw, enc, upErr)
}

// endStream writes the tail: an error event after a mid-stream failure
// (then the connection closes, without [DONE], so clients see an error and
// not a short answer), or the usage chunk if asked and [DONE].
func (s *Server) endStream(x *exchange, sw *sseWriter, enc *openaiapi.ChunkEncoder, upErr error) {
	x.w.Header().Set("X-Router-Cost-USD", formatUSD(x.totalCost()))
	if sw.err == nil && x.r.Context().Err() == nil && upErr != nil {
		upErr = s.clientErr(x, upErr)
	}
	switch {
	case sw.err != nil || x.r.Context().Err() != nil:
		x.status, x.errCode = statusClientGone, "client_gone"
		if sw.err != nil {
			x.errDetail = sw.err.Error()
		}
	case upErr != nil:
		x.errCode = string(apierr.CodeOf(upErr))
		x.errDetail = upErr.Error()
		x.status = apierr.HTTPStatus(apierr.CodeOf(upErr))
		sw.event(openaiapi.NewError(upErr))
	default:
		if x.req.IncludeUsage() {
			cost := x.totalCost()
			sw.event(enc.UsageChunk(x.usage, &cost))
		}
		sw.raw([]byte(openaiapi.DoneEvent))
	}
}
