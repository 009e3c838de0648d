package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testKey = "AIzaSyTEST-not-a-real-key-0123456789"

func newClient(u *pt.Upstream, mod func(*Config)) *Client {
	cfg := Config{BaseURL: u.URL, APIKey: testKey, HTTPClient: u.Client()}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func ask(model string) *provider.Request {
	return &provider.Request{Model: model, Messages: []provider.Message{{Role: "user", Content: "What is the capital of Australia?"}}}
}

func jsonReply(status int, body []byte) pt.Reply {
	return pt.Reply{Status: status, Header: map[string]string{"Content-Type": "application/json; charset=UTF-8"}, Body: body}
}

func sseReply(body []byte) pt.Reply {
	return pt.Reply{Header: map[string]string{"Content-Type": "text/event-stream"}, Chunks: pt.SSEChunks(body)}
}

func TestComplete(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/text.json")))
	c := newClient(u, nil)
	req := ask("gemini-2.5-pro")
	resp, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "The capital of Australia is **Canberra**." || resp.FinishReason != "stop" {
		t.Errorf("resp = %+v", resp)
	}
	want := provider.Usage{InputTokens: 8, OutputTokens: 9, ThinkingTokens: 420}
	if resp.Usage != want || resp.Usage.BilledOutput() != 429 {
		t.Errorf("usage = %+v, want %+v", resp.Usage, want)
	}
	if resp.Latency <= 0 || resp.Model != "gemini-2.5-pro" {
		t.Errorf("latency %v model %q", resp.Latency, resp.Model)
	}
	got := u.Request(0)
	if got.Path != "/v1beta/models/gemini-2.5-pro:generateContent" || got.Method != http.MethodPost {
		t.Errorf("request %s %s", got.Method, got.Path)
	}
	if got.Header.Get("x-goog-api-key") != testKey || got.RawQuery != "" {
		t.Errorf("key header %q, query %q (the key must travel in the header only)", got.Header.Get("x-goog-api-key"), got.RawQuery)
	}
	w, _ := ToWire(req)
	wantBody, _ := json.Marshal(w)
	if string(got.Body) != string(wantBody) {
		t.Errorf("body = %s, want %s", got.Body, wantBody)
	}
}

func TestCompleteMissingUsageEstimated(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/no_usage.json")))
	resp, err := newClient(u, nil).Complete(context.Background(), ask("gemini-2.5-flash"))
	if err != nil {
		t.Fatal(err)
	}
	us := resp.Usage
	if !us.Missing || !us.Estimated || us.InputTokens == 0 || us.OutputTokens == 0 {
		t.Fatalf("usage = %+v, want Missing+Estimated with counts", us)
	}
}

func TestCompleteErrors(t *testing.T) {
	echoKey := []byte(`{"error":{"code":401,"message":"API key not valid: ` + testKey + `","status":"UNAUTHENTICATED"}}`)
	tests := []struct {
		name      string
		reply     pt.Reply
		code      apierr.Code
		msg       string
		retryWait time.Duration
	}{
		{name: "400 invalid key", reply: jsonReply(400, pt.MustRead(t, "testdata/errors/400_api_key_invalid.json")),
			code: apierr.UpstreamRejected, msg: "gemini: gemini-2.5-pro: 400 INVALID_ARGUMENT: API key not valid. Please pass a valid API key."},
		{name: "401", reply: jsonReply(401, pt.MustRead(t, "testdata/errors/401_unauthenticated.json")),
			code: apierr.UpstreamRejected, msg: "gemini: gemini-2.5-pro: 401 UNAUTHENTICATED: API key not valid"},
		{name: "401 echoing the key", reply: jsonReply(401, echoKey),
			code: apierr.UpstreamRejected, msg: "gemini: gemini-2.5-pro: 401 UNAUTHENTICATED: API key not valid: [REDACTED]"},
		{name: "403", reply: jsonReply(403, pt.MustRead(t, "testdata/errors/403_permission_denied.json")),
			code: apierr.UpstreamRejected, msg: "403 PERMISSION_DENIED"},
		{name: "429 seconds", reply: pt.Reply{Status: 429, Header: map[string]string{"Retry-After": "17"},
			Body: pt.MustRead(t, "testdata/errors/429_resource_exhausted.json")},
			code: apierr.UpstreamRateLimited, msg: "429 RESOURCE_EXHAUSTED", retryWait: 17 * time.Second},
		{name: "503", reply: jsonReply(503, pt.MustRead(t, "testdata/errors/503_unavailable.json")),
			code: apierr.UpstreamUnavailable, msg: "503 UNAVAILABLE: The model is overloaded"},
		{name: "502 html", reply: pt.Reply{Status: 502, Body: []byte("<html><body>Bad Gateway</body></html>")},
			code: apierr.UpstreamUnavailable, msg: "502: <html><body>Bad Gateway</body></html>"},
		{name: "malformed json", reply: jsonReply(200, []byte(`{"candidates": [`)),
			code: apierr.UpstreamUnavailable, msg: "malformed response"},
		{name: "no candidates", reply: jsonReply(200, []byte(`{}`)),
			code: apierr.UpstreamUnavailable, msg: "malformed response"},
		{name: "200 with error body", reply: jsonReply(200, pt.MustRead(t, "testdata/errors/503_unavailable.json")),
			code: apierr.UpstreamUnavailable, msg: "503 UNAVAILABLE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := pt.NewUpstream(t, tc.reply)
			_, err := newClient(u, nil).Complete(context.Background(), ask("gemini-2.5-pro"))
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code {
				t.Fatalf("err = %v, want code %s", err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the API key: %q", err)
			}
			if ae.RetryAfter != tc.retryWait {
				t.Errorf("RetryAfter = %v, want %v", ae.RetryAfter, tc.retryWait)
			}
		})
	}
}

func TestCompleteBodyTooLarge(t *testing.T) {
	big := `{"candidates":[{"content":{"parts":[{"text":"` + strings.Repeat("x", 4096) + `"}]},"finishReason":"STOP"}]}`
	u := pt.NewUpstream(t, jsonReply(200, []byte(big)))
	_, err := newClient(u, func(c *Config) { c.MaxBodyBytes = 1024 }).Complete(context.Background(), ask("gemini-2.5-flash"))
	if apierr.CodeOf(err) != apierr.UpstreamUnavailable || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("err = %v", err)
	}
}

func TestCompleteTimeout(t *testing.T) {
	u := pt.NewUpstream(t, pt.Reply{Delay: time.Minute})
	_, err := newClient(u, func(c *Config) { c.Timeout = 50 * time.Millisecond }).Complete(context.Background(), ask("gemini-2.5-flash"))
	if apierr.CodeOf(err) != apierr.Timeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want Timeout", err)
	}
}

func TestCompleteConnectionRefused(t *testing.T) {
	u := pt.NewUpstream(t)
	c := newClient(u, nil)
	u.Close()
	_, err := c.Complete(context.Background(), ask("gemini-2.5-flash"))
	if apierr.CodeOf(err) != apierr.UpstreamUnavailable {
		t.Fatalf("err = %v, want UpstreamUnavailable", err)
	}
}

func fastRetry(calls *[]time.Duration) provider.RetryOptions {
	return provider.RetryOptions{Seed: 7, Sleep: func(ctx context.Context, d time.Duration) error {
		*calls = append(*calls, d)
		return nil
	}}
}

func TestRetryOn429WithRetryAfter(t *testing.T) {
	u := pt.NewUpstream(t,
		pt.Reply{Status: 429, Header: map[string]string{"Retry-After": "3"}, Body: pt.MustRead(t, "testdata/errors/429_resource_exhausted.json")},
		jsonReply(200, pt.MustRead(t, "testdata/responses/text.json")))
	var waits []time.Duration
	p := provider.WithRetry(newClient(u, nil), fastRetry(&waits))
	resp, err := p.Complete(context.Background(), ask("gemini-2.5-pro"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Calls() != 2 || len(waits) != 1 || waits[0] != 3*time.Second {
		t.Fatalf("calls = %d, waits = %v; want 2 calls and one 3s wait", u.Calls(), waits)
	}
	if resp.Usage.ThinkingTokens != 420 {
		t.Errorf("usage = %+v", resp.Usage)
	}
}

func TestNoRetryOn401(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(401, pt.MustRead(t, "testdata/errors/401_unauthenticated.json")))
	var waits []time.Duration
	_, err := provider.WithRetry(newClient(u, nil), fastRetry(&waits)).Complete(context.Background(), ask("gemini-2.5-pro"))
	if apierr.CodeOf(err) != apierr.UpstreamRejected || u.Calls() != 1 || len(waits) != 0 {
		t.Fatalf("err = %v, calls = %d, waits = %v", err, u.Calls(), waits)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Fatal("key in error")
	}
}

func TestStream(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/text.sse")))
	s, err := newClient(u, nil).Stream(context.Background(), ask("gemini-2.5-pro"))
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
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(texts, "|") != "Canberra is| the capital of Australia." {
		t.Errorf("texts = %q", texts)
	}
	want := provider.Usage{InputTokens: 8, OutputTokens: 9, ThinkingTokens: 420}
	if last.FinishReason != "stop" || last.Usage == nil || *last.Usage != want {
		t.Errorf("final chunk = %+v", last)
	}
	r := u.Request(0)
	if r.Path != "/v1beta/models/gemini-2.5-pro:streamGenerateContent" || r.RawQuery != "alt=sse" {
		t.Errorf("request %s?%s", r.Path, r.RawQuery)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Errorf("Recv after end = %v", err)
	}
}

func TestStreamFunctionCall(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/function_call.sse")))
	s, err := newClient(u, nil).Stream(context.Background(), ask("gemini-2.5-flash"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := pt.Collect(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.FinishReason != "tool_calls" || len(got.ToolCalls) != 1 {
		t.Fatalf("got %+v", got)
	}
	tc := got.ToolCalls[0]
	if tc.Name != "get_weather" || tc.Arguments != `{"city":"Paris","unit":"celsius"}` || tc.ID == "" {
		t.Errorf("tool call = %+v", tc)
	}
}

func TestStreamMissingUsage(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/no_usage.sse")))
	s, err := newClient(u, nil).Stream(context.Background(), ask("gemini-2.5-flash"))
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
		{"connection dropped", pt.Reply{Chunks: pt.SSEChunks(text)[:1], Abort: true}, apierr.UpstreamUnavailable, ""},
		{"ends mid-line", pt.Reply{Body: pt.MustRead(t, "testdata/streams/truncated.sse")}, apierr.UpstreamUnavailable, "stream broken mid-way"},
		{"ends without finishReason", pt.Reply{Body: pt.MustRead(t, "testdata/streams/no_finish.sse")}, apierr.UpstreamUnavailable, "without finishReason"},
		{"error event", pt.Reply{Body: pt.MustRead(t, "testdata/streams/error_midstream.sse")}, apierr.UpstreamUnavailable, "503 UNAVAILABLE"},
		{"malformed event", pt.Reply{Body: []byte("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"a\"}]}}]}\n\ndata: {oops\n\n")}, apierr.UpstreamUnavailable, "malformed response"},
		{"idle upstream", pt.Reply{Chunks: pt.SSEChunks(text)[:1], Hang: true}, apierr.Timeout, "stream idle"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := pt.NewUpstream(t, tc.reply)
			s, err := newClient(u, func(c *Config) { c.StreamIdleTimeout = 100 * time.Millisecond }).Stream(context.Background(), ask("gemini-2.5-pro"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := pt.Collect(s)
			if apierr.CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.msg)
			}
			if got.Text == "" {
				t.Errorf("expected the first chunk before the failure")
			}
			if _, err2 := s.Recv(); err2 == nil || err2 == io.EOF {
				t.Errorf("error not sticky: %v", err2)
			}
		})
	}
}

func TestStreamOpenErrors(t *testing.T) {
	u := pt.NewUpstream(t,
		jsonReply(503, pt.MustRead(t, "testdata/errors/503_unavailable.json")),
		sseReply(pt.MustRead(t, "testdata/streams/text.sse")))
	var waits []time.Duration
	s, err := provider.WithRetry(newClient(u, nil), fastRetry(&waits)).Stream(context.Background(), ask("gemini-2.5-pro"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := pt.Collect(s)
	if err != nil || got.Text != "Canberra is the capital of Australia." || u.Calls() != 2 {
		t.Fatalf("got %q, %v, calls %d", got.Text, err, u.Calls())
	}
}

func TestStreamCloseEarly(t *testing.T) {
	// Closing before the end must release the connection even though the
	// upstream would keep the stream open.
	u := pt.NewUpstream(t, pt.Reply{Chunks: pt.SSEChunks(pt.MustRead(t, "testdata/streams/text.sse"))[:1], Hang: true})
	s, err := newClient(u, nil).Stream(context.Background(), ask("gemini-2.5-pro"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = s.Close()
		_ = s.Close() // idempotent
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked")
	}
}

func TestStreamContextCancel(t *testing.T) {
	u := pt.NewUpstream(t, pt.Reply{Chunks: pt.SSEChunks(pt.MustRead(t, "testdata/streams/text.sse"))[:1], Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	s, err := newClient(u, nil).Stream(ctx, ask("gemini-2.5-pro"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.Recv(); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBaseURLWithVersion(t *testing.T) {
	u := pt.NewUpstream(t, jsonReply(200, pt.MustRead(t, "testdata/responses/text.json")))
	c := newClient(u, func(c *Config) { c.BaseURL = u.URL + "/v1beta/" })
	if _, err := c.Complete(context.Background(), ask("models/gemini-2.5-pro")); err != nil {
		t.Fatal(err)
	}
	if p := u.Request(0).Path; p != "/v1beta/models/gemini-2.5-pro:generateContent" {
		t.Errorf("path = %s", p)
	}
}
