package server

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/providertest"
)

// answering is a provider answering "<model>: <last message>" with fixed
// usage, in one piece or streamed word by word.
func answering(model string, in, out int) *providertest.Fake {
	f := &providertest.Fake{}
	f.CompleteFunc = func(ctx context.Context, req *provider.Request) (*provider.Response, error) {
		last := req.Messages[len(req.Messages)-1].Content
		return &provider.Response{Text: model + ": " + last, FinishReason: "stop", Model: req.Model,
			Usage: provider.Usage{InputTokens: in, OutputTokens: out}}, nil
	}
	f.StreamFunc = func(ctx context.Context, req *provider.Request) (provider.Stream, error) {
		last := req.Messages[len(req.Messages)-1].Content
		var chunks []provider.Chunk
		for _, w := range strings.Fields(model + ": " + last) {
			chunks = append(chunks, provider.Chunk{Text: w + " "})
		}
		chunks = append(chunks, provider.Chunk{FinishReason: "stop", Usage: &provider.Usage{InputTokens: in, OutputTokens: out}})
		return providertest.NewSliceStream(chunks...), nil
	}
	return f
}

func failing(code apierr.Code) *providertest.Fake {
	err := apierr.New(code, "upstream said no")
	return &providertest.Fake{
		CompleteFunc: func(context.Context, *provider.Request) (*provider.Response, error) { return nil, err },
		StreamFunc:   func(context.Context, *provider.Request) (provider.Stream, error) { return nil, err },
	}
}

func TestCompleteDirectModel(t *testing.T) {
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": answering("cheap", 100, 50)}))
	var resp *http.Response
	c := g.client()
	out, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "cheap", Messages: userMsg("hello"),
	}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Choices[0].Message.Content; got != "cheap: hello" {
		t.Errorf("content = %q", got)
	}
	if out.Model != "cheap" || out.Usage.PromptTokens != 100 || out.Usage.CompletionTokens != 50 || out.Usage.TotalTokens != 150 {
		t.Errorf("model/usage = %s %+v", out.Model, out.Usage)
	}
	wantCost := (100*1.0 + 50*2.0) / 1e6
	if got, _ := strconv.ParseFloat(resp.Header.Get("X-Router-Cost-USD"), 64); math.Abs(got-wantCost) > 1e-12 {
		t.Errorf("X-Router-Cost-USD = %q, want %v", resp.Header.Get("X-Router-Cost-USD"), wantCost)
	}
	if resp.Header.Get("X-Router-Model") != "cheap" || resp.Header.Get("X-Router-Rule") != "direct" {
		t.Errorf("router headers = %v", resp.Header)
	}
	recs := g.waitRecords(1)
	if r := recs[0]; r.Model != "cheap" || r.InputTokens != 100 || r.OutputTokens != 50 || r.Status != "ok" || math.Abs(r.CostUSD-wantCost) > 1e-12 {
		t.Errorf("record = %+v", r)
	}
	g.waitLogged(`"msg":"chat completion"`, 1)
	if !strings.Contains(g.logs.String(), `"msg":"chat completion"`) || !strings.Contains(g.logs.String(), `"cost_usd"`) {
		t.Errorf("no request log line: %s", g.logs.String())
	}
}

func TestRouting(t *testing.T) {
	ps := map[string]provider.Provider{"cheap": answering("cheap", 10, 5), "strong": answering("strong", 10, 5)}
	tests := []struct {
		name, model, query       string
		score                    float64
		wantModel, wantPolicy    string
		wantRule, reasonContains string
	}{
		{"below threshold", "router", "capital of France?", 0.3, "cheap", "Standard_Query", "threshold", "score 0.300 < threshold 0.500"},
		{"above threshold", "router", "capital of France?", 0.7, "strong", "Complex_Query", "threshold", ">= threshold"},
		{"override lowers threshold", "router-0.2", "capital of France?", 0.3, "strong", "Complex_Query", "threshold", "threshold 0.200"},
		{"override raises threshold", "router-0.9", "capital of France?", 0.7, "cheap", "Standard_Query", "threshold", "< threshold 0.900"},
		{"keyword override", "router", "Write Python code for a web server", 0.1, "strong", "Standard_Query", "keyword", "keyword override: code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := startGW(t, baseYAML, withProviders(ps), withRouter(&fakeRouter{score: tc.score, threshold: 0.5}))
			var resp *http.Response
			c := g.client()
			out, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: tc.model, Messages: userMsg(tc.query),
			}, option.WithResponseInto(&resp))
			if err != nil {
				t.Fatal(err)
			}
			h := resp.Header
			if out.Model != tc.wantModel || h.Get("X-Router-Model") != tc.wantModel || h.Get("X-Router-Policy") != tc.wantPolicy || h.Get("X-Router-Rule") != tc.wantRule {
				t.Errorf("model %s, headers model=%s policy=%s rule=%s", out.Model, h.Get("X-Router-Model"), h.Get("X-Router-Policy"), h.Get("X-Router-Rule"))
			}
			if !strings.Contains(h.Get("X-Router-Reason"), tc.reasonContains) {
				t.Errorf("reason %q lacks %q", h.Get("X-Router-Reason"), tc.reasonContains)
			}
			if h.Get("X-Router-Score") != strconv.FormatFloat(tc.score, 'f', 4, 64) {
				t.Errorf("score header %q", h.Get("X-Router-Score"))
			}
			g.waitRecords(1)
		})
	}
}

func TestRoutingWithoutTrainedRouter(t *testing.T) {
	ps := map[string]provider.Provider{"cheap": answering("cheap", 10, 5), "strong": answering("strong", 10, 5)}
	g := startGW(t, baseYAML, withProviders(ps))
	for q, want := range map[string]string{"hello there": "cheap", "Solve 3x + 7 = 22 for x": "strong"} {
		var resp *http.Response
		c := g.client()
		if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "router", Messages: userMsg(q)}, option.WithResponseInto(&resp)); err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("X-Router-Model"); got != want {
			t.Errorf("%q → %s (%s), want %s", q, got, resp.Header.Get("X-Router-Reason"), want)
		}
		if resp.Header.Get("X-Router-Score") != "" {
			t.Errorf("score header without a router: %q", resp.Header.Get("X-Router-Score"))
		}
	}
	g.waitRecords(2)
}

func TestStreamIncludeUsage(t *testing.T) {
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": answering("cheap", 7, 3)}))
	c := g.client()
	st := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "cheap", Messages: userMsg("tell me a story"),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	acc := openai.ChatCompletionAccumulator{}
	var chunks int
	var last openai.ChatCompletionChunk
	for st.Next() {
		chunks++
		last = st.Current()
		acc.AddChunk(last)
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	if got := acc.Choices[0].Message.Content; got != "cheap: tell me a story " {
		t.Errorf("streamed text %q", got)
	}
	if len(last.Choices) != 0 || last.Usage.PromptTokens != 7 || last.Usage.CompletionTokens != 3 {
		t.Errorf("last chunk is not the usage chunk: %+v", last)
	}
	if cost := last.Usage.JSON.ExtraFields["cost_usd"].Raw(); cost == "" {
		t.Errorf("usage chunk has no cost_usd: %s", last.RawJSON())
	}
	if acc.Choices[0].FinishReason != "stop" {
		t.Errorf("finish reason %q", acc.Choices[0].FinishReason)
	}
	recs := g.waitRecords(1)
	if recs[0].InputTokens != 7 || recs[0].OutputTokens != 3 || recs[0].Status != "ok" {
		t.Errorf("record %+v", recs[0])
	}
}

func TestStreamRawFormat(t *testing.T) {
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": answering("cheap", 7, 3)}))
	status, h, body := g.post("/v1/chat/completions", `{"model":"cheap","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if status != 200 || h.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", status, h.Get("Content-Type"))
	}
	if !strings.HasSuffix(body, "data: [DONE]\n\n") || strings.Contains(body, `"usage"`) {
		t.Errorf("stream without include_usage must end with [DONE] and carry no usage:\n%s", body)
	}
	if !strings.HasPrefix(body, `data: {"id":"chatcmpl-`) || !strings.Contains(body, `"role":"assistant"`) {
		t.Errorf("first event is not an OpenAI chunk with the role:\n%s", body)
	}
	g.waitRecords(1)
}

func TestFallbackBeforeFirstByte(t *testing.T) {
	yaml := baseYAML + "fallbacks:\n  strong: [backup, cheap]\n"
	for _, stream := range []bool{false, true} {
		t.Run("stream="+strconv.FormatBool(stream), func(t *testing.T) {
			bad, backup := failing(apierr.UpstreamUnavailable), failing(apierr.UpstreamRateLimited)
			cheap := answering("cheap", 4, 2)
			g := startGW(t, yaml, withProviders(map[string]provider.Provider{"strong": bad, "backup": backup, "cheap": cheap}))
			var resp *http.Response
			c := g.client()
			params := openai.ChatCompletionNewParams{Model: "strong", Messages: userMsg("hi")}
			var text string
			if stream {
				st := c.Chat.Completions.NewStreaming(context.Background(), params, option.WithResponseInto(&resp))
				for st.Next() {
					if ch := st.Current(); len(ch.Choices) > 0 {
						text += ch.Choices[0].Delta.Content
					}
				}
				if err := st.Err(); err != nil {
					t.Fatal(err)
				}
				_ = st.Close()
			} else {
				out, err := c.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&resp))
				if err != nil {
					t.Fatal(err)
				}
				text = out.Choices[0].Message.Content
			}
			if !strings.HasPrefix(text, "cheap:") || resp.Header.Get("X-Router-Model") != "cheap" || resp.Header.Get("X-Router-Fallback-From") != "strong" {
				t.Errorf("text %q, headers %v", text, resp.Header)
			}
			if bad.Calls() != 1 || backup.Calls() != 1 || cheap.Calls() != 1 {
				t.Errorf("calls strong=%d backup=%d cheap=%d", bad.Calls(), backup.Calls(), cheap.Calls())
			}
			if r := g.waitRecords(1)[0]; r.Model != "cheap" || r.InputTokens != 4 {
				t.Errorf("record %+v", r)
			}
		})
	}
}

func TestFallbackExhausted(t *testing.T) {
	yaml := baseYAML + "fallbacks:\n  strong: [backup]\n"
	g := startGW(t, yaml, withProviders(map[string]provider.Provider{"strong": failing(apierr.UpstreamUnavailable), "backup": failing(apierr.Timeout)}))
	c := g.client()
	_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "strong", Messages: userMsg("hi")})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 504 || apiErr.Type != "timeout_error" {
		t.Fatalf("err = %v", err)
	}
	if r := g.waitRecords(1)[0]; r.Status != "timeout" || r.CostUSD != 0 || r.Model != "backup" {
		t.Errorf("record %+v", r)
	}
}

// brokenStream yields some chunks, then fails.
func brokenStream(err error) *providertest.Fake {
	return &providertest.Fake{StreamFunc: func(context.Context, *provider.Request) (provider.Stream, error) {
		s := providertest.NewSliceStream(provider.Chunk{Text: "half "}, provider.Chunk{Text: "an answer"})
		s.Err = err
		return s, nil
	}}
}

func TestMidStreamFailureEndsWithErrorEvent(t *testing.T) {
	yaml := baseYAML + "fallbacks:\n  strong: [cheap]\n"
	cheap := answering("cheap", 1, 1)
	g := startGW(t, yaml, withProviders(map[string]provider.Provider{
		"strong": brokenStream(apierr.New(apierr.UpstreamUnavailable, "strong: stream truncated")), "cheap": cheap,
	}))
	status, _, body := g.post("/v1/chat/completions", `{"model":"strong","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	events := strings.Split(strings.TrimSpace(body), "\n\n")
	lastEv := events[len(events)-1]
	if !strings.HasPrefix(lastEv, `data: {"error":{"message":"strong: stream truncated","type":"api_error"`) || strings.Contains(body, "[DONE]") {
		t.Errorf("stream must end with an error event and no [DONE]:\n%s", body)
	}
	if cheap.Calls() != 0 {
		t.Error("a stream that already sent bytes must not fall back")
	}
	// The official client surfaces the error event as an error.
	c := g.client()
	st := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{Model: "strong", Messages: userMsg("hi")})
	for st.Next() {
	}
	if err := st.Err(); err == nil || !strings.Contains(err.Error(), "stream truncated") {
		t.Errorf("client error = %v", err)
	}
	_ = st.Close()
	recs := g.waitRecords(2)
	for _, r := range recs {
		if r.Status != "upstream_unavailable" || !r.Estimated || r.OutputTokens == 0 {
			t.Errorf("a cut stream is charged once, from an estimate: %+v", r)
		}
	}
}

func TestBadInputs(t *testing.T) {
	g := startGW(t, baseYAML+"limits: {max_body_bytes: 2048}\n", withProviders(map[string]provider.Provider{"cheap": answering("cheap", 1, 1)}))
	big := `{"model":"cheap","messages":[{"role":"user","content":"` + strings.Repeat("x", 4096) + `"}]}`
	tests := []struct {
		name, body string
		status     int
		typ, param string
		msg        string
	}{
		{"invalid JSON", `{"model":`, 400, "invalid_request_error", "", "not a valid JSON object"},
		{"binary garbage", "\x00\xff\xfe", 400, "invalid_request_error", "", "not a valid JSON object"},
		{"empty body", ``, 400, "invalid_request_error", "", "not a valid JSON object"},
		{"wrong type", `{"model":"cheap","messages":[{"role":"user","content":5}]}`, 400, "invalid_request_error", "messages[0].content", "must be a string or an array"},
		{"missing messages", `{"model":"cheap"}`, 400, "invalid_request_error", "messages", "is required"},
		{"unknown model", `{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}`, 404, "invalid_request_error", "model", `gpt-9\" does not exist; use \"router\", \"router-<threshold>\"`},
		{"bad threshold", `{"model":"router-1.5","messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request_error", "model", "in [0, 1]"},
		{"threshold not a number", `{"model":"router-abc","messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request_error", "model", "in [0, 1]"},
		{"oversized", big, 413, "invalid_request_error", "", "limits.max_body_bytes"},
		{"video part", `{"model":"cheap","messages":[{"role":"user","content":[{"type":"video_url","video_url":{"url":"x"}}]}]}`, 400, "invalid_request_error", "messages[0].content[0].type", "video_url"},
		{"plain http image", `{"model":"cheap","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]}`, 400, "invalid_request_error", "messages[0].content[0].image_url.url", "https or data:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := g.post("/v1/chat/completions", tc.body)
			if status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, body)
			}
			wantParam := `"param":null`
			if tc.param != "" {
				wantParam = `"param":"` + tc.param + `"`
			}
			if !strings.Contains(body, `"type":"`+tc.typ+`"`) || !strings.Contains(body, wantParam) || !strings.Contains(body, tc.msg) {
				t.Errorf("body %s lacks type %s, %s, %q", body, tc.typ, wantParam, tc.msg)
			}
		})
	}
	// Chunked upload with no Content-Length is cut by the reader limit.
	req, _ := http.NewRequest(http.MethodPost, g.ts.URL+"/v1/chat/completions", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	if status, _, _ := do(t, req); status != 413 {
		t.Errorf("chunked oversized body: status %d", status)
	}
	g.waitRecords(len(tests) + 1)
	// The server keeps serving.
	if status, _, _ := g.post("/v1/chat/completions", `{"model":"cheap","messages":[{"role":"user","content":"x"}]}`); status != 200 {
		t.Errorf("after bad inputs: status %d", status)
	}
	g.waitRecords(len(tests) + 2)
}

func TestEndpoints(t *testing.T) {
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": answering("cheap", 1, 1)}))
	c := g.client()
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "router,backup,cheap,strong" {
		t.Errorf("models %v", ids)
	}
	if m, err := c.Models.Get(context.Background(), "cheap"); err != nil || m.OwnedBy != "gemini" {
		t.Errorf("get model: %+v %v", m, err)
	}
	if _, err := c.Models.Get(context.Background(), "nope"); err == nil {
		t.Error("unknown model found")
	}
	if status, _, body := g.get("/healthz"); status != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz %d %s", status, body)
	}
	if status, _, body := g.get("/v1/nothing"); status != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("unknown path %d %s", status, body)
	}
	if status, _, _ := g.get("/v1/chat/completions"); status != 405 {
		t.Errorf("GET chat: %d", status)
	}
	if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "cheap", Messages: userMsg("x")}); err != nil {
		t.Fatal(err)
	}
	g.waitRecords(1)
	status, _, body := g.get("/metrics")
	for _, want := range []string{
		`gen_ai_client_token_usage_bucket{gen_ai_operation_name="chat",gen_ai_request_model="cheap",gen_ai_token_type="input"`,
		`gen_ai_client_operation_duration_seconds_count{error_type="",gen_ai_operation_name="chat",gen_ai_request_model="cheap"} 1`,
		`llmrouter_http_requests_total{code="200",endpoint="/v1/chat/completions"} 1`,
		`llmrouter_http_requests_total{code="404",endpoint="other"} 1`,
	} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
