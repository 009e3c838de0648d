package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// Config configures a Client. BaseURL is required (e.g.
// https://api.openai.com/v1, http://localhost:11434/v1); an empty APIKey
// runs keyless (local servers). Every other field and its default is
// upstream.Config's.
type Config upstream.Config

// Client calls an OpenAI-compatible server. It is safe for concurrent use.
type Client struct {
	cfg upstream.Config
	hc  *http.Client
	log *slog.Logger
}

var _ provider.Provider = (*Client)(nil)

// New returns a client; zero Config fields get defaults.
func New(cfg Config) *Client {
	c := upstream.Config(cfg).WithDefaults("openai")
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return &Client{cfg: c, hc: c.HTTPClient, log: c.Logger}
}

func (c *Client) call(req *provider.Request) upstream.Call {
	return upstream.Call{Provider: c.cfg.Name, Model: req.Model, Secrets: []string{c.cfg.APIKey}}
}

func (c *Client) newRequest(ctx context.Context, req *provider.Request, stream bool) (*http.Request, error) {
	if req.Model == "" {
		return nil, apierr.New(apierr.Invalid, "%s: request has no model", c.cfg.Name)
	}
	body, err := c.encodeRequest(req, stream)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, err, "%s: base_url %q", c.cfg.Name, c.cfg.BaseURL)
	}
	hr.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	if stream {
		hr.Header.Set("Accept", "text/event-stream")
	}
	return hr, nil
}

// encodeRequest builds the JSON body of a chat completions call.
func (c *Client) encodeRequest(req *provider.Request, stream bool) ([]byte, error) {
	w, err := ToWire(req, stream)
	if err != nil {
		return nil, err
	}
	body, err := w.MarshalJSON()
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "%s: encode request", c.cfg.Name)
	}
	return body, nil
}

// inBandError maps an "error" object found in a 200 body or a stream event.
func inBandError(call upstream.Call, raw json.RawMessage) *apierr.Error {
	d := errorDetail(raw)
	var withCode struct {
		Code int `json:"code"`
	}
	status := http.StatusBadGateway
	if json.Unmarshal(raw, &withCode) == nil && withCode.Code >= 400 && withCode.Code < 600 {
		status = withCode.Code
	}
	if d.Message == "" {
		d.Message = string(raw)
	}
	return call.Status(status, nil, d, time.Now())
}

// bodyPool holds response body buffers; outsized ones are not kept.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBody = 1 << 20

// Complete posts a non-streamed chat completion.
func (c *Client) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	call := c.call(req)
	hr, err := c.newRequest(ctx, req, false)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := call.Do(ctx, c.hc, hr, ParseError)
	if err != nil {
		return nil, err
	}
	defer upstream.DrainClose(resp.Body)
	// Nothing decoded keeps a reference to the body (strings are copied
	// out), so its buffer can serve the next call.
	bp := bodyPool.Get().(*[]byte)
	body, err := call.BodyInto(ctx, *bp, resp.Body, c.cfg.MaxBodyBytes, resp.ContentLength)
	defer func() {
		if cap(body) <= maxPooledBody {
			*bp = body[:0]
			bodyPool.Put(bp)
		}
	}()
	if err != nil {
		return nil, err
	}
	var w openaiapi.ChatResponse
	if err := openaiapi.DecodeResponse(body, &w); err != nil {
		return nil, call.Malformed(err)
	}
	if len(w.Error) > 0 && string(w.Error) != "null" {
		return nil, inBandError(call, w.Error)
	}
	out, err := FromWire(&w)
	if err != nil {
		return nil, call.Malformed(err)
	}
	if out.Finish(req, start) {
		c.log.LogAttrs(ctx, slog.LevelWarn, "upstream sent no usage; tokens estimated",
			slog.String("provider", c.cfg.Name), slog.String("model", req.Model))
	}
	return out, nil
}

// Stream posts a streamed chat completion asking for a final usage chunk.
func (c *Client) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	sctx, cancel := context.WithCancel(ctx)
	call := c.call(req)
	hr, err := c.newRequest(sctx, req, true)
	if err != nil {
		cancel()
		return nil, err
	}
	es, err := call.OpenEventStream(sctx, cancel, c.hc, hr, ParseError, c.cfg.StreamIdleTimeout, int(c.cfg.MaxBodyBytes))
	if err != nil {
		return nil, err
	}
	return &stream{es: es, call: call, req: req, log: c.log, ctx: ctx, calls: map[int]*callBuilder{}}, nil
}

type callBuilder struct {
	id, name, sig string
	args          strings.Builder
}

// stream forwards text deltas as they come and assembles tool-call deltas;
// calls, finish reason and usage go in one final chunk at [DONE], because
// the usage chunk arrives after the finish_reason chunk.
type stream struct {
	es     *upstream.EventStream
	call   upstream.Call
	req    *provider.Request
	log    *slog.Logger
	ctx    context.Context
	text   strings.Builder
	calls  map[int]*callBuilder
	next   int // index for servers that omit tool_calls[].index
	finish string
	// sig is the answer's text signature (Gemini's OpenAI-compatible
	// endpoint sends it on a delta); it goes out on the final chunk.
	sig   string
	usage *openaiapi.Usage
	done  bool
	err   error
}

func (s *stream) Recv() (provider.Chunk, error) {
	if s.err != nil {
		return provider.Chunk{}, s.err
	}
	if s.done {
		return provider.Chunk{}, io.EOF
	}
	for {
		ev, err := s.es.Next()
		if err == io.EOF {
			// Some local servers omit [DONE]; a finish_reason already seen
			// shows the answer was complete.
			if s.finish != "" {
				return s.final(), nil
			}
			s.err = &apierr.Error{Code: apierr.UpstreamUnavailable,
				Msg: s.call.Provider + ": " + s.req.Model + ": stream ended before [DONE]", Err: io.ErrUnexpectedEOF}
			return provider.Chunk{}, s.err
		}
		if err != nil {
			s.err = err
			return provider.Chunk{}, err
		}
		if strings.TrimSpace(ev.Data) == "[DONE]" {
			return s.final(), nil
		}
		chunk, ok, err := s.event(ev.Type, ev.Data)
		if err != nil {
			s.err = err
			return provider.Chunk{}, err
		}
		if ok {
			return chunk, nil
		}
	}
}

func (s *stream) event(typ, data string) (provider.Chunk, bool, error) {
	var w openaiapi.ChatResponse
	if err := openaiapi.DecodeEvent(data, &w); err != nil {
		return provider.Chunk{}, false, s.call.Malformed(err)
	}
	if len(w.Error) > 0 && string(w.Error) != "null" {
		return provider.Chunk{}, false, inBandError(s.call, w.Error)
	}
	if typ == "error" {
		return provider.Chunk{}, false, inBandError(s.call, json.RawMessage(data))
	}
	if w.Usage != nil {
		s.usage = w.Usage
	}
	if len(w.Choices) == 0 {
		return provider.Chunk{}, false, nil
	}
	ch := w.Choices[0]
	if ch.FinishReason != "" {
		s.finish = ch.FinishReason
	}
	if ch.Delta == nil {
		return provider.Chunk{}, false, nil
	}
	for _, tc := range ch.Delta.ToolCalls {
		s.addCallDelta(tc)
	}
	if sig := ch.Delta.ExtraContent.Signature(); sig != "" {
		s.sig = sig
	}
	if ch.Delta.Refusal != "" {
		return provider.Chunk{Refusal: ch.Delta.Refusal}, true, nil
	}
	if ch.Delta.Content == nil || *ch.Delta.Content == "" {
		return provider.Chunk{}, false, nil
	}
	s.text.WriteString(*ch.Delta.Content)
	return provider.Chunk{Text: *ch.Delta.Content, Logprobs: openaiapi.FromLogprobs(ch.Logprobs)}, true, nil
}

func (s *stream) addCallDelta(tc openaiapi.ToolCall) {
	idx := s.next
	switch {
	case tc.Index != nil:
		idx = *tc.Index
	case tc.ID == "" && len(s.calls) > 0:
		idx = s.next - 1 // a continuation of the last call
	}
	b := s.calls[idx]
	if b == nil {
		b = &callBuilder{}
		s.calls[idx] = b
	}
	if idx >= s.next {
		s.next = idx + 1
	}
	if tc.ID != "" {
		b.id = tc.ID
	}
	if tc.Function.Name != "" {
		b.name = tc.Function.Name
	}
	if sig := tc.ExtraContent.Signature(); sig != "" {
		b.sig = sig
	}
	b.args.WriteString(tc.Function.Arguments)
}

func (s *stream) assembled() []provider.ToolCall {
	idx := make([]int, 0, len(s.calls))
	for i := range s.calls {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var out []provider.ToolCall
	for n, i := range idx {
		b := s.calls[i]
		id := b.id
		if id == "" {
			id = fmt.Sprintf("call_%d", n)
		}
		args := b.args.String()
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		out = append(out, provider.ToolCall{ID: id, Name: b.name, Arguments: args, Signature: b.sig})
	}
	return out
}

func (s *stream) final() provider.Chunk {
	s.done = true
	calls := s.assembled()
	u := UsageOf(s.usage)
	if u.Missing {
		u = provider.EstimateUsage(s.req, s.text.String(), calls)
		u.Missing = true
		s.log.LogAttrs(s.ctx, slog.LevelWarn, "upstream stream sent no usage; tokens estimated",
			slog.String("provider", s.call.Provider), slog.String("model", s.req.Model))
	}
	return provider.Chunk{ToolCalls: calls, FinishReason: FinishReason(s.finish, len(calls) > 0), Usage: &u, Signature: s.sig}
}

func (s *stream) Close() error { return s.es.Close() }
