package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/gemini"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// DefaultInlineLimit is the largest Gemini job sent inline; bigger ones go
// through the Files API. The API refuses inline jobs above 20 MB.
const DefaultInlineLimit = 10 << 20

// Config configures a backend. BaseURL is the API root (Gemini: without
// /v1beta, default gemini.DefaultBaseURL; OpenAI: with /v1).
type Config struct {
	BaseURL    string
	APIKey     string
	HTTPClient *http.Client
	// InlineLimit is the largest Gemini job, in request-body bytes, sent
	// inline (default DefaultInlineLimit); larger ones are uploaded.
	InlineLimit int
	// MaxBodyBytes bounds a downloaded results file (default 1 GiB).
	MaxBodyBytes int64
}

func (c Config) withDefaults() Config {
	if c.HTTPClient == nil {
		c.HTTPClient = upstream.NewHTTPClient()
	}
	if c.InlineLimit <= 0 {
		c.InlineLimit = DefaultInlineLimit
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 30
	}
	return c
}

// Gemini speaks Gemini Batch Mode: models/{model}:batchGenerateContent with
// inlined requests or an uploaded JSONL file, polled as a long-running
// operation at batches/{id}.
type Gemini struct {
	cfg Config
}

var _ Backend = (*Gemini)(nil)

// NewGemini returns a Gemini batch backend.
func NewGemini(cfg Config) *Gemini {
	if cfg.BaseURL == "" {
		cfg.BaseURL = gemini.DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimSuffix(strings.TrimRight(cfg.BaseURL, "/"), "/v1beta")
	return &Gemini{cfg: cfg.withDefaults()}
}

// Provider implements Backend.
func (g *Gemini) Provider() string { return "gemini" }

// Encode implements Backend: the generateContent body, as the online client
// marshals it.
func (g *Gemini) Encode(req *provider.Request) ([]byte, error) {
	w, err := gemini.ToWire(req)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "gemini batch: encode request")
	}
	return b, nil
}

func (g *Gemini) call(model string) upstream.Call {
	return upstream.Call{Provider: "gemini batch", Model: model, Secrets: []string{g.cfg.APIKey}}
}

// do sends one API call and returns the 2xx body.
func (g *Gemini) do(ctx context.Context, call upstream.Call, method, u string, body []byte, hdr http.Header) ([]byte, http.Header, error) {
	hr, err := newRequest(ctx, method, u, body)
	if err != nil {
		return nil, nil, apierr.Wrap(apierr.Invalid, err, "gemini batch: base URL %q", g.cfg.BaseURL)
	}
	for k, v := range hdr {
		hr.Header[k] = v
	}
	if body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("x-goog-api-key", g.cfg.APIKey)
	resp, err := call.Do(ctx, g.cfg.HTTPClient, hr, gemini.ParseError)
	if err != nil {
		return nil, nil, err
	}
	defer upstream.DrainClose(resp.Body)
	b, err := call.Body(ctx, resp.Body, g.cfg.MaxBodyBytes)
	return b, resp.Header, err
}

// geminiCreate is the batchGenerateContent body.
type geminiCreate struct {
	Batch struct {
		DisplayName string `json:"displayName"`
		InputConfig struct {
			FileName string               `json:"fileName,omitempty"`
			Requests *geminiInlineRequest `json:"requests,omitempty"`
		} `json:"inputConfig"`
	} `json:"batch"`
}

type geminiInlineRequest struct {
	Requests []geminiInlinedRequest `json:"requests"`
}

type geminiInlinedRequest struct {
	Request  json.RawMessage `json:"request"`
	Metadata geminiMetadata  `json:"metadata"`
}

type geminiMetadata struct {
	Key string `json:"key"`
}

// Submit implements Backend: inline when the bodies fit InlineLimit, else
// through an uploaded JSONL file of {"key","request"} lines.
func (g *Gemini) Submit(ctx context.Context, model, displayName string, items []Item) (Job, error) {
	model = strings.TrimPrefix(model, "models/")
	call := g.call(model)
	var c geminiCreate
	c.Batch.DisplayName = displayName
	size := 0
	for _, it := range items {
		size += len(it.Body)
	}
	if size <= g.cfg.InlineLimit {
		reqs := &geminiInlineRequest{Requests: make([]geminiInlinedRequest, len(items))}
		for i, it := range items {
			reqs.Requests[i] = geminiInlinedRequest{Request: it.Body, Metadata: geminiMetadata{Key: it.Key}}
		}
		c.Batch.InputConfig.Requests = reqs
	} else {
		name, err := g.upload(ctx, call, displayName, items)
		if err != nil {
			return Job{}, err
		}
		c.Batch.InputConfig.FileName = name
	}
	body, err := json.Marshal(c)
	if err != nil {
		return Job{}, apierr.Wrap(apierr.Internal, err, "gemini batch: encode job")
	}
	u := g.cfg.BaseURL + "/v1beta/models/" + url.PathEscape(model) + ":batchGenerateContent"
	b, _, err := g.do(ctx, call, http.MethodPost, u, body, nil)
	return jobReply(call, b, err, parseGeminiOperation)
}

// geminiFileLine is one line of an input file.
type geminiFileLine struct {
	Key     string          `json:"key"`
	Request json.RawMessage `json:"request"`
}

// upload sends the JSONL input through the Files API's resumable protocol
// (start, then one upload-and-finalize) and returns the file's name.
func (g *Gemini) upload(ctx context.Context, call upstream.Call, displayName string, items []Item) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(geminiFileLine{Key: it.Key, Request: it.Body}); err != nil {
			return "", apierr.Wrap(apierr.Internal, err, "gemini batch: encode input file")
		}
	}
	meta, _ := json.Marshal(map[string]any{"file": map[string]string{"displayName": displayName, "mimeType": "application/jsonl"}})
	hdr := http.Header{}
	hdr.Set("X-Goog-Upload-Protocol", "resumable")
	hdr.Set("X-Goog-Upload-Command", "start")
	hdr.Set("X-Goog-Upload-Header-Content-Length", strconv.Itoa(buf.Len()))
	hdr.Set("X-Goog-Upload-Header-Content-Type", "application/jsonl")
	_, h, err := g.do(ctx, call, http.MethodPost, g.cfg.BaseURL+"/upload/v1beta/files", meta, hdr)
	if err != nil {
		return "", err
	}
	uploadURL := h.Get("X-Goog-Upload-URL")
	if uploadURL == "" {
		return "", call.Malformed(fmt.Errorf("file upload start: no X-Goog-Upload-URL header"))
	}
	hdr = http.Header{}
	hdr.Set("X-Goog-Upload-Command", "upload, finalize")
	hdr.Set("X-Goog-Upload-Offset", "0")
	hdr.Set("Content-Type", "application/jsonl")
	b, h, err := g.do(ctx, call, http.MethodPost, uploadURL, buf.Bytes(), hdr)
	if err != nil {
		return "", err
	}
	if st := h.Get("X-Goog-Upload-Status"); st != "final" {
		return "", call.Malformed(fmt.Errorf("file upload: status %q after finalize, want \"final\"", st))
	}
	var f struct {
		File struct {
			Name string `json:"name"`
		} `json:"file"`
	}
	if err := json.Unmarshal(b, &f); err != nil || f.File.Name == "" {
		return "", call.Malformed(fmt.Errorf("file upload: no file.name in %q", snippet(b)))
	}
	return f.File.Name, nil
}

// Poll implements Backend.
func (g *Gemini) Poll(ctx context.Context, id string) (Job, error) {
	call := g.call(id)
	if !strings.HasPrefix(id, "batches/") {
		return Job{}, apierr.New(apierr.Invalid, "gemini batch: job name %q does not start with batches/", id)
	}
	b, _, err := g.do(ctx, call, http.MethodGet, g.cfg.BaseURL+"/v1beta/"+escapeName(id), nil, nil)
	return jobReply(call, b, err, parseGeminiOperation)
}

// Results implements Backend: the inlined responses, or the downloaded
// responses file.
func (g *Gemini) Results(ctx context.Context, job Job) (map[string]Result, error) {
	call := g.call(job.ID)
	lines := job.inline
	if job.outputFile != "" {
		name := strings.TrimPrefix(job.outputFile, "files/")
		u := g.cfg.BaseURL + "/download/v1beta/files/" + url.PathEscape(name) + ":download?alt=media"
		b, _, err := g.do(ctx, call, http.MethodGet, u, nil, nil)
		if err != nil {
			return nil, err
		}
		if lines, err = parseGeminiResults(b); err != nil {
			return nil, call.Malformed(err)
		}
	}
	out := make(map[string]Result, len(lines))
	for _, l := range lines {
		if l.Key == "" {
			continue
		}
		out[l.Key] = geminiResult(call, l)
	}
	return out, nil
}

// geminiResult converts one response line exactly as the online client
// converts a generateContent answer.
func geminiResult(call upstream.Call, l geminiInlined) Result {
	switch {
	case l.Error != nil:
		return Result{Err: call.Status(httpStatusOfRPC(l.Error.Code), nil,
			upstream.ErrorDetail{Status: l.Error.Status, Message: l.Error.Message}, time.Now())}
	case l.Response == nil:
		return Result{Err: call.Malformed(fmt.Errorf("result %s has neither response nor error", l.Key))}
	case l.Response.Error != nil:
		e := l.Response.Error
		return Result{Err: call.Status(e.Code, nil, upstream.ErrorDetail{Status: e.Status, Message: e.Message}, time.Now())}
	}
	resp, err := gemini.FromWire(l.Response)
	if err != nil {
		return Result{Err: call.Malformed(err)}
	}
	return Result{Resp: resp}
}

// httpStatusOfRPC maps a google.rpc.Code, which per-request errors carry,
// to the HTTP status the online call would have returned.
func httpStatusOfRPC(code int) int {
	switch code {
	case 3, 9, 11: // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
		return http.StatusBadRequest
	case 16:
		return http.StatusUnauthorized
	case 7:
		return http.StatusForbidden
	case 5:
		return http.StatusNotFound
	case 8:
		return http.StatusTooManyRequests
	case 4:
		return http.StatusGatewayTimeout
	case 14:
		return http.StatusServiceUnavailable
	}
	if code >= 400 && code < 600 {
		return code // some errors carry the HTTP status itself
	}
	return http.StatusInternalServerError
}

func escapeName(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// Find implements Backend: it lists batches, newest first, for one whose
// displayName is displayName.
func (g *Gemini) Find(ctx context.Context, model, displayName string) (string, bool, error) {
	call := g.call(model)
	token := ""
	for range findPages {
		u := g.cfg.BaseURL + "/v1beta/batches?pageSize=100"
		if token != "" {
			u += "&pageToken=" + url.QueryEscape(token)
		}
		b, _, err := g.do(ctx, call, http.MethodGet, u, nil, nil)
		if err != nil {
			return "", false, err
		}
		var page struct {
			Operations []struct {
				Name     string `json:"name"`
				Metadata struct {
					DisplayName string `json:"displayName"`
				} `json:"metadata"`
			} `json:"operations"`
			NextPageToken string `json:"nextPageToken"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return "", false, call.Malformed(fmt.Errorf("batch list: %w", err))
		}
		for _, op := range page.Operations {
			if op.Metadata.DisplayName == displayName && op.Name != "" {
				return op.Name, true, nil
			}
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	return "", false, nil
}
