package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// DefaultBaseURL is the public Gemini API endpoint.
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// Config configures a Client. Only APIKey is required. BaseURL is the API
// root without /v1beta (default DefaultBaseURL); every other field and
// its default is upstream.Config's.
type Config upstream.Config

// Client calls the Gemini REST API. It is safe for concurrent use.
type Client struct {
	cfg upstream.Config
	hc  *http.Client
	log *slog.Logger
}

var _ provider.Provider = (*Client)(nil)

// New returns a client; zero Config fields get defaults.
func New(cfg Config) *Client {
	c := upstream.Config(cfg).WithDefaults("gemini")
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	// Accept a base given with the version path, as users copy it from docs.
	c.BaseURL = strings.TrimSuffix(strings.TrimRight(c.BaseURL, "/"), "/v1beta")
	return &Client{cfg: c, hc: c.HTTPClient, log: c.Logger}
}

func (c *Client) call(req *provider.Request) upstream.Call {
	return upstream.Call{Provider: c.cfg.Name, Model: req.Model, Secrets: []string{c.cfg.APIKey}}
}

func (c *Client) newRequest(ctx context.Context, req *provider.Request, method string) (*http.Request, error) {
	w, placeheld, err := toWire(req)
	if err != nil {
		return nil, err
	}
	if placeheld > 0 {
		// The caller's history lacks signatures Gemini 3 requires (another
		// upstream answered, or the client dropped them): it works, with
		// less of the model's earlier reasoning to go on.
		c.log.LogAttrs(ctx, slog.LevelDebug, "function calls sent with placeholder thought signatures",
			slog.String("provider", c.cfg.Name), slog.String("model", req.Model), slog.Int("calls", placeheld))
	}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "%s: encode request", c.cfg.Name)
	}
	model := strings.TrimPrefix(req.Model, "models/")
	if model == "" {
		return nil, apierr.New(apierr.Invalid, "%s: request has no model", c.cfg.Name)
	}
	u := c.cfg.BaseURL + "/v1beta/models/" + url.PathEscape(model) + ":" + method
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, err, "%s: base URL %q", c.cfg.Name, c.cfg.BaseURL)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("x-goog-api-key", c.cfg.APIKey)
	return hr, nil
}

// Complete calls generateContent.
func (c *Client) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	call := c.call(req)
	hr, err := c.newRequest(ctx, req, "generateContent")
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := call.Do(ctx, c.hc, hr, ParseError)
	if err != nil {
		return nil, err
	}
	defer upstream.DrainClose(resp.Body)
	body, err := call.Body(ctx, resp.Body, c.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	var w GenerateContentResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, call.Malformed(err)
	}
	if w.Error != nil {
		return nil, call.Status(w.Error.Code, nil, upstream.ErrorDetail{Status: w.Error.Status, Message: w.Error.Message}, time.Now())
	}
	out, err := FromWire(&w)
	if err != nil {
		return nil, call.Malformed(err)
	}
	if out.Finish(req, start) {
		c.log.LogAttrs(ctx, slog.LevelWarn, "upstream sent no usageMetadata; tokens estimated",
			slog.String("provider", c.cfg.Name), slog.String("model", req.Model))
	}
	return out, nil
}

// Stream calls streamGenerateContent?alt=sse.
func (c *Client) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	sctx, cancel := context.WithCancel(ctx)
	call := c.call(req)
	hr, err := c.newRequest(sctx, req, "streamGenerateContent")
	if err != nil {
		cancel()
		return nil, err
	}
	q := hr.URL.Query()
	q.Set("alt", "sse")
	hr.URL.RawQuery = q.Encode()
	hr.Header.Set("Accept", "text/event-stream")
	es, err := call.OpenEventStream(sctx, cancel, c.hc, hr, ParseError, c.cfg.StreamIdleTimeout, int(c.cfg.MaxBodyBytes))
	if err != nil {
		return nil, err
	}
	return &stream{es: es, call: call, req: req, log: c.log, ctx: ctx}, nil
}

// stream turns SSE events into chunks. Text is forwarded as it comes; tool
// calls, their signatures, finish reason and usage go in one final chunk
// (a signature may arrive after the text it signs), and Gemini repeats
// cumulative usage on every event and only the last one is the total.
type stream struct {
	es   *upstream.EventStream
	call upstream.Call
	req  *provider.Request
	log  *slog.Logger
	ctx  context.Context
	ans  answer
	// finish is Gemini's raw finishReason; blocked marks a blocked prompt.
	finish  string
	blocked bool
	usage   *UsageMetadata
	done    bool
	err     error
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
			return s.final()
		}
		if err != nil {
			s.err = err
			return provider.Chunk{}, err
		}
		chunk, ok, err := s.event(ev.Data)
		if err != nil {
			s.err = err
			return provider.Chunk{}, err
		}
		if ok {
			return chunk, nil
		}
	}
}

func (s *stream) event(data string) (provider.Chunk, bool, error) {
	var w GenerateContentResponse
	if err := json.Unmarshal([]byte(data), &w); err != nil {
		return provider.Chunk{}, false, s.call.Malformed(err)
	}
	if w.Error != nil {
		return provider.Chunk{}, false, s.call.Status(w.Error.Code, nil,
			upstream.ErrorDetail{Status: w.Error.Status, Message: w.Error.Message}, time.Now())
	}
	if w.UsageMetadata != nil {
		s.usage = w.UsageMetadata
	}
	if w.PromptFeedback != nil && w.PromptFeedback.BlockReason != "" {
		s.blocked = true
	}
	if len(w.Candidates) == 0 {
		return provider.Chunk{}, false, nil
	}
	cand := w.Candidates[0]
	if cand.FinishReason != "" {
		s.finish = cand.FinishReason
	}
	// Parts with no answer text (a call, a signature-only part) are kept
	// for the final chunk.
	text := s.ans.add(cand.Content.Parts)
	if text == "" {
		return provider.Chunk{}, false, nil
	}
	return provider.Chunk{Text: text, Logprobs: cand.LogprobsResult.tokens()}, true, nil
}

func (s *stream) final() (provider.Chunk, error) {
	if s.finish == "" && !s.blocked {
		// A clean EOF without finishReason means the upstream cut us off.
		s.err = &apierr.Error{Code: apierr.UpstreamUnavailable,
			Msg: s.call.Provider + ": " + s.req.Model + ": stream ended without finishReason", Err: io.ErrUnexpectedEOF}
		return provider.Chunk{}, s.err
	}
	s.done = true
	sig, calls := s.ans.finish()
	reason := FinishReason(s.finish, len(calls) > 0)
	if s.blocked && s.finish == "" {
		reason = "content_filter"
	}
	u := UsageOf(s.usage)
	if u.Missing {
		u = provider.EstimateUsage(s.req, s.ans.text.String(), calls)
		u.Missing = true
		s.log.LogAttrs(s.ctx, slog.LevelWarn, "upstream stream sent no usageMetadata; tokens estimated",
			slog.String("provider", s.call.Provider), slog.String("model", s.req.Model))
	}
	return provider.Chunk{ToolCalls: calls, FinishReason: reason, Usage: &u, Signature: sig}, nil
}

func (s *stream) Close() error { return s.es.Close() }
