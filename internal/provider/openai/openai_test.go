package openai

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testKey = "sk-proj-TESTKEYnotreal0123456789abcdef"

func newClient(u *pt.Upstream, mod func(*Config)) *Client {
	cfg := Config{BaseURL: u.URL + "/v1/", APIKey: testKey, HTTPClient: u.Client()}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func ask(model string) *provider.Request {
	return &provider.Request{Model: model, Messages: []provider.Message{
		{Role: "system", Content: "Be brief."}, {Role: "user", Content: "What is the capital of Australia?"}}}
}

func jsonReply(status int, body []byte) pt.Reply {
	return pt.Reply{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: body}
}

func sseReply(body []byte) pt.Reply {
	return pt.Reply{Header: map[string]string{"Content-Type": "text/event-stream"}, Chunks: pt.SSEChunks(body)}
}

func TestComplete(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/text.json")))
	req := ask("gpt-4o-mini")
	resp, err := newClient(u, nil).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "The capital of Australia is Canberra." || resp.FinishReason != "stop" || resp.Model != "gpt-4o-mini-2024-07-18" {
		t.Errorf("resp = %+v", resp)
	}
	if resp.Usage != (provider.Usage{InputTokens: 14, OutputTokens: 8}) || resp.Latency <= 0 {
		t.Errorf("usage = %+v latency %v", resp.Usage, resp.Latency)
	}
	r := u.Request(0)
	if r.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("path %s auth %q", r.Path, r.Header.Get("Authorization"))
	}
	w, _ := ToWire(req, false)
	want, _ := json.Marshal(w)
	if string(r.Body) != string(want) {
		t.Errorf("body = %s, want %s", r.Body, want)
	}
}

func TestCompleteKeyless(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/no_usage.json")))
	resp, err := newClient(u, func(c *Config) { c.APIKey = "" }).Complete(context.Background(), ask("llama3.2"))
	if err != nil {
		t.Fatal(err)
	}
	if h := u.Request(0).Header.Get("Authorization"); h != "" {
		t.Errorf("keyless client sent Authorization %q", h)
	}
	if !resp.Usage.Missing || !resp.Usage.Estimated || resp.Usage.InputTokens == 0 {
		t.Errorf("usage = %+v, want estimated", resp.Usage)
	}
}

func TestCompleteToolCalls(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/tool_calls.json")))
	resp, err := newClient(u, nil).Complete(context.Background(), ask("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != "tool_calls" || len(resp.ToolCalls) != 2 || resp.ToolCalls[1].Arguments != `{"tz":"Europe/Paris"}` {
		t.Fatalf("resp = %+v", resp)
	}
}

func TestCompleteErrors(t *testing.T) {
	echo := []byte(`{"error":{"message":"Incorrect API key provided: ` + testKey + `.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
	tests := []struct {
		name  string
		reply pt.Reply
		code  apierr.Code
		msg   string
		wait  time.Duration
	}{
		{"401", jsonReply(401, pt.MustRead(t, "testdata/errors/401_invalid_api_key.json")), apierr.UpstreamRejected,
			"openai: gpt-4o: 401 invalid_api_key: Incorrect API key provided", 0},
		{"401 echoing the key", jsonReply(401, echo), apierr.UpstreamRejected, "Incorrect API key provided: [REDACTED]", 0},
		{"429 http date", pt.Reply{Status: 429, Header: map[string]string{"Retry-After": time.Now().Add(90 * time.Second).UTC().Format(httpDate)},
			Body: pt.MustRead(t, "testdata/errors/429_rate_limit.json")}, apierr.UpstreamRateLimited, "429 rate_limit_exceeded", 89 * time.Second},
		{"500", jsonReply(500, pt.MustRead(t, "testdata/errors/500_server_error.json")), apierr.UpstreamUnavailable, "500 server_error", 0},
		{"404 ollama", jsonReply(404, pt.MustRead(t, "testdata/errors/404_ollama.json")), apierr.NotFound, `404: model "llama9" not found`, 0},
		{"400 vllm", jsonReply(400, pt.MustRead(t, "testdata/errors/400_vllm.json")), apierr.UpstreamRejected, "400 BadRequestError: This model's maximum context length", 0},
		{"malformed", jsonReply(200, []byte(`{"choices": [{"message": `)), apierr.UpstreamUnavailable, "malformed response", 0},
		{"no choices", jsonReply(200, []byte(`{"choices": []}`)), apierr.UpstreamUnavailable, "malformed response", 0},
		{"error in 200", jsonReply(200, []byte(`{"error":{"code":429,"message":"Rate limit exceeded: free-models-per-min"}}`)), apierr.UpstreamRateLimited, "Rate limit exceeded", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := pt.NewUpstream(t, tc.reply)
			_, err := newClient(u, nil).Complete(context.Background(), ask("gpt-4o"))
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.msg)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("key leaked: %v", err)
			}
			if tc.wait > 0 && (ae.RetryAfter < tc.wait-2*time.Second || ae.RetryAfter > tc.wait+2*time.Second) {
				t.Errorf("RetryAfter = %v, want about %v", ae.RetryAfter, tc.wait)
			}
		})
	}
}

const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestRetryOn429(t *testing.T) {
	u := pt.NewUpstream(t,
		pt.Reply{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: pt.MustRead(t, "testdata/errors/429_rate_limit.json")},
		pt.Reply{Status: 429, Header: map[string]string{"Retry-After": "1"}, Body: pt.MustRead(t, "testdata/errors/429_rate_limit.json")},
		jsonReply(200, pt.MustRead(t, "testdata/responses/text.json")))
	var waits []time.Duration
	p := provider.WithRetry(newClient(u, nil), provider.RetryOptions{Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}})
	if _, err := p.Complete(context.Background(), ask("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	if u.Calls() != 3 || len(waits) != 2 || waits[0] != 2*time.Second || waits[1] != time.Second {
		t.Fatalf("calls %d waits %v", u.Calls(), waits)
	}
}

func TestNoRetryOn401(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(401, pt.MustRead(t, "testdata/errors/401_invalid_api_key.json")))
	p := provider.WithRetry(newClient(u, nil), provider.RetryOptions{Sleep: func(context.Context, time.Duration) error { return nil }})
	_, err := p.Complete(context.Background(), ask("gpt-4o"))
	if apierr.CodeOf(err) != apierr.UpstreamRejected || u.Calls() != 1 {
		t.Fatalf("err %v calls %d", err, u.Calls())
	}
}

func TestStream(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/text.sse")))
	s, err := newClient(u, nil).Stream(context.Background(), ask("gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	chunks := pt.Chunks(t, s)
	for _, c := range chunks {
		if c.Text != "" {
			texts = append(texts, c.Text)
		}
	}
	last := chunks[len(chunks)-1]
	_ = s.Close()
	if strings.Join(texts, "|") != "The capital| of Australia is Canberra." {
		t.Errorf("texts = %q", texts)
	}
	if last.FinishReason != "stop" || last.Usage == nil || *last.Usage != (provider.Usage{InputTokens: 14, OutputTokens: 8}) {
		t.Errorf("final = %+v", last)
	}
	var body openaiapi.ChatRequest
	if err := json.Unmarshal(u.Request(0).Body, &body); err != nil {
		t.Fatal(err)
	}
	if !body.Stream || body.StreamOptions == nil || !body.StreamOptions.IncludeUsage {
		t.Errorf("stream request body = %s", u.Request(0).Body)
	}
}

func TestStreamToolCallDeltas(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/tool_calls.sse")))
	s, err := newClient(u, nil).Stream(context.Background(), ask("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := pt.Collect(s)
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.ToolCall{
		{ID: "call_Qy8dPbd4bYI7dPQ9nPQXPDqz", Name: "get_weather", Arguments: `{"city": "Paris"}`},
		{ID: "call_t8vTVpM2Gkq0yWmzBcyVMeLQ", Name: "get_time", Arguments: `{"tz": "Europe/Paris"}`},
	}
	if got.FinishReason != "tool_calls" || len(got.ToolCalls) != 2 || got.ToolCalls[0] != want[0] || got.ToolCalls[1] != want[1] {
		t.Fatalf("got %+v", got)
	}
	if got.Usage.InputTokens != 82 {
		t.Errorf("usage %+v", got.Usage)
	}
}

func TestStreamNoUsage(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/no_usage_ollama.sse")))
	s, err := newClient(u, nil).Stream(context.Background(), ask("llama3.2"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := pt.Collect(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "Paris." || !got.Usage.Missing || !got.Usage.Estimated || got.Usage.OutputTokens == 0 {
		t.Fatalf("got %+v", got)
	}
}

func TestStreamFailures(t *testing.T) {
	text := pt.MustRead(t, "testdata/streams/text.sse")
	tests := []struct {
		name  string
		reply pt.Reply
		code  apierr.Code
		msg   string
	}{
		{"connection dropped", pt.Reply{Chunks: pt.SSEChunks(text)[:2], Abort: true}, apierr.UpstreamUnavailable, ""},
		{"ends mid-line", pt.Reply{Body: text[:len(text)-40]}, apierr.UpstreamUnavailable, "stream broken mid-way"},
		{"ends before DONE", pt.Reply{Body: pt.MustRead(t, "testdata/streams/no_done.sse")}, apierr.UpstreamUnavailable, "before [DONE]"},
		{"error event", pt.Reply{Body: pt.MustRead(t, "testdata/streams/error_event.sse")}, apierr.UpstreamUnavailable, "502: Provider returned error"},
		{"malformed chunk", pt.Reply{Chunks: append(pt.SSEChunks(text)[:2], "data: {nope\n\n")}, apierr.UpstreamUnavailable, "malformed response"},
		{"idle", pt.Reply{Chunks: pt.SSEChunks(text)[:2], Hang: true}, apierr.Timeout, "stream idle"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := pt.NewUpstream(t, tc.reply)
			s, err := newClient(u, func(c *Config) { c.StreamIdleTimeout = 100 * time.Millisecond }).Stream(context.Background(), ask("gpt-4o"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := pt.Collect(s)
			if apierr.CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.msg)
			}
			if got.Text == "" {
				t.Error("want text before the failure")
			}
		})
	}
}

func TestStreamOpenFailureRetried(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(500, pt.MustRead(t, "testdata/errors/500_server_error.json")), sseReply(pt.MustRead(t, "testdata/streams/text.sse")))
	p := provider.WithRetry(newClient(u, nil), provider.RetryOptions{Sleep: func(context.Context, time.Duration) error { return nil }})
	s, err := p.Stream(context.Background(), ask("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := pt.Collect(s)
	if err != nil || got.Text != "The capital of Australia is Canberra." || u.Calls() != 2 {
		t.Fatalf("%q %v calls %d", got.Text, err, u.Calls())
	}
}

func TestCompleteTimeout(t *testing.T) {
	u := pt.NewUpstream(t, pt.Reply{Delay: time.Minute})
	_, err := newClient(u, func(c *Config) { c.Timeout = 50 * time.Millisecond }).Complete(context.Background(), ask("gpt-4o"))
	if apierr.CodeOf(err) != apierr.Timeout {
		t.Fatalf("err = %v", err)
	}
}
