package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/openai"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// openAIEndpoint is the endpoint every request line and the job name.
const openAIEndpoint = "/v1/chat/completions"

// OpenAI speaks the OpenAI Batch API: a JSONL file uploaded with purpose
// "batch", a job over it at /batches, and output and error files.
type OpenAI struct {
	cfg Config
}

var _ Backend = (*OpenAI)(nil)

// NewOpenAI returns an OpenAI batch backend; BaseURL includes /v1.
func NewOpenAI(cfg Config) *OpenAI {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &OpenAI{cfg: cfg.withDefaults()}
}

// Provider implements Backend.
func (o *OpenAI) Provider() string { return "openai" }

// Encode implements Backend: the chat completions body, as the online
// client marshals it.
func (o *OpenAI) Encode(req *provider.Request) ([]byte, error) {
	w, err := openai.ToWire(req, false)
	if err != nil {
		return nil, err
	}
	b, err := w.MarshalJSON()
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "openai batch: encode request")
	}
	return b, nil
}

func (o *OpenAI) call(what string) upstream.Call {
	return upstream.Call{Provider: "openai batch", Model: what, Secrets: []string{o.cfg.APIKey}}
}

func (o *OpenAI) do(ctx context.Context, call upstream.Call, method, path string, body []byte, contentType string) ([]byte, error) {
	hr, err := newRequest(ctx, method, o.cfg.BaseURL+path, body)
	if err != nil {
		return nil, apierr.Wrap(apierr.Invalid, err, "openai batch: base_url %q", o.cfg.BaseURL)
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	if o.cfg.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+o.cfg.APIKey)
	}
	resp, err := call.Do(ctx, o.cfg.HTTPClient, hr, openai.ParseError)
	if err != nil {
		return nil, err
	}
	defer upstream.DrainClose(resp.Body)
	return call.Body(ctx, resp.Body, o.cfg.MaxBodyBytes)
}

// openAIInputLine is one line of the input file.
type openAIInputLine struct {
	CustomID string          `json:"custom_id"`
	Method   string          `json:"method"`
	URL      string          `json:"url"`
	Body     json.RawMessage `json:"body"`
}

// Submit implements Backend: upload the input file, then create the job.
func (o *OpenAI) Submit(ctx context.Context, model, displayName string, items []Item) (Job, error) {
	call := o.call(model)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(openAIInputLine{CustomID: it.Key, Method: http.MethodPost, URL: openAIEndpoint, Body: it.Body}); err != nil {
			return Job{}, apierr.Wrap(apierr.Internal, err, "openai batch: encode input file")
		}
	}
	fileID, err := o.uploadFile(ctx, call, displayName+".jsonl", buf.Bytes())
	if err != nil {
		return Job{}, err
	}
	body, _ := json.Marshal(map[string]any{
		"input_file_id":     fileID,
		"endpoint":          openAIEndpoint,
		"completion_window": "24h",
		"metadata":          map[string]string{"llmrouter_job": displayName},
	})
	b, err := o.do(ctx, call, http.MethodPost, "/batches", body, "application/json")
	return jobReply(call, b, err, parseOpenAIBatch)
}

// uploadFile posts data as a multipart file with purpose "batch".
func (o *OpenAI) uploadFile(ctx context.Context, call upstream.Call, name string, data []byte) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("purpose", "batch"); err != nil {
		return "", apierr.Wrap(apierr.Internal, err, "openai batch: encode upload")
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", "application/jsonl")
	fw, err := mw.CreatePart(h)
	if err == nil {
		_, err = fw.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", apierr.Wrap(apierr.Internal, err, "openai batch: encode upload")
	}
	b, err := o.do(ctx, call, http.MethodPost, "/files", body.Bytes(), mw.FormDataContentType())
	if err != nil {
		return "", err
	}
	var f struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &f); err != nil || f.ID == "" {
		return "", call.Malformed(fmt.Errorf("file upload: no id in %q", snippet(b)))
	}
	return f.ID, nil
}

// Poll implements Backend.
func (o *OpenAI) Poll(ctx context.Context, id string) (Job, error) {
	call := o.call(id)
	b, err := o.do(ctx, call, http.MethodGet, "/batches/"+url.PathEscape(id), nil, "")
	return jobReply(call, b, err, parseOpenAIBatch)
}

// Results implements Backend: the output file's answers and the error
// file's failures. An expired or cancelled job has both for the requests
// it finished.
func (o *OpenAI) Results(ctx context.Context, job Job) (map[string]Result, error) {
	call := o.call(job.ID)
	out := map[string]Result{}
	for _, id := range []string{job.outputFile, job.errorFile} {
		if id == "" {
			continue
		}
		b, err := o.do(ctx, call, http.MethodGet, "/files/"+url.PathEscape(id)+"/content", nil, "")
		if err != nil {
			return nil, err
		}
		lines, err := parseOpenAIResults(b)
		if err != nil {
			return nil, call.Malformed(err)
		}
		for _, l := range lines {
			out[l.CustomID] = openAIResult(call, l)
		}
	}
	return out, nil
}

// openAIResult converts one output line exactly as the online client
// converts a chat completion.
func openAIResult(call upstream.Call, l openAIOutputLine) Result {
	if l.Response != nil && l.Response.StatusCode == http.StatusOK {
		var w openaiapi.ChatResponse
		if err := openaiapi.DecodeResponse(l.Response.Body, &w); err != nil {
			return Result{Err: call.Malformed(err)}
		}
		resp, err := openai.FromWire(&w)
		if err != nil {
			return Result{Err: call.Malformed(err)}
		}
		return Result{Resp: resp}
	}
	if l.Response != nil && l.Response.StatusCode != 0 {
		return Result{Err: call.Status(l.Response.StatusCode, nil, openai.ParseError(l.Response.Body), time.Now())}
	}
	if l.Error != nil {
		// batch_expired, batch_cancelled and the like: the request was not
		// run, and a later job may run it.
		return Result{Err: &apierr.Error{Code: apierr.UpstreamUnavailable,
			Msg: fmt.Sprintf("openai batch: request %s not run: %s: %s", l.CustomID, l.Error.Code, l.Error.Message)}}
	}
	return Result{Err: call.Malformed(fmt.Errorf("result %s has neither response nor error", l.CustomID))}
}

// Find implements Backend: it lists batches, newest first, for one whose
// metadata names displayName.
func (o *OpenAI) Find(ctx context.Context, model, displayName string) (string, bool, error) {
	call := o.call(model)
	after := ""
	for range findPages {
		path := "/batches?limit=100"
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		b, err := o.do(ctx, call, http.MethodGet, path, nil, "")
		if err != nil {
			return "", false, err
		}
		var page struct {
			Data []struct {
				ID       string            `json:"id"`
				Metadata map[string]string `json:"metadata"`
			} `json:"data"`
			HasMore bool   `json:"has_more"`
			LastID  string `json:"last_id"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return "", false, call.Malformed(fmt.Errorf("batch list: %w", err))
		}
		for _, d := range page.Data {
			if d.Metadata["llmrouter_job"] == displayName && d.ID != "" {
				return d.ID, true, nil
			}
		}
		if !page.HasMore || page.LastID == "" {
			break
		}
		after = page.LastID
	}
	return "", false, nil
}
