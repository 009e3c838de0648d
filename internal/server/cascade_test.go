package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/providertest"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// fakeVerifier scores every answer with score and remembers what it read.
type fakeVerifier struct {
	score, threshold float64
	skip             float64 // < 0: never skip

	mu   sync.Mutex
	seen [][2]string // query, answer
}

func (v *fakeVerifier) Threshold() float64 { return v.threshold }
func (v *fakeVerifier) SkipThreshold() (float64, bool) {
	return v.skip, v.skip >= 0
}
func (v *fakeVerifier) Score(query, answer string) float64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen = append(v.seen, [2]string{query, answer})
	return v.score
}

func (v *fakeVerifier) calls() [][2]string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([][2]string(nil), v.seen...)
}

func withCascade(v Verifier) gwOption { return func(d *Deps) { d.Cascade = v } }

// counting counts a provider's unary and streamed calls apart: a cascade
// must ask the cheap model unary even for a streamed request.
type counting struct {
	provider.Provider
	complete, stream atomic.Int64
}

func (c *counting) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	c.complete.Add(1)
	return c.Provider.Complete(ctx, req)
}

func (c *counting) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	c.stream.Add(1)
	return c.Provider.Stream(ctx, req)
}

// Each call: 10 input and 5 output tokens, at the baseYAML prices.
const (
	cheapCost  = (10*1.0 + 5*2.0) / 1e6
	strongCost = (10*10.0 + 5*20.0) / 1e6
)

type cascadeGW struct {
	*gw
	cheap, strong *counting
}

func startCascade(t *testing.T, v Verifier, opts ...gwOption) *cascadeGW {
	t.Helper()
	c := &cascadeGW{cheap: &counting{Provider: answering("cheap", 10, 5)}, strong: &counting{Provider: answering("strong", 10, 5)}}
	base := []gwOption{withProviders(map[string]provider.Provider{"cheap": c.cheap, "strong": c.strong}),
		withRouter(&fakeRouter{score: 0.3, threshold: 0.5})}
	if v != nil {
		base = append(base, withCascade(v))
	}
	c.gw = startGW(t, baseYAML, append(base, opts...)...)
	return c
}

// answer is what a client saw of one chat completion.
type answer struct {
	text  string
	calls []openai.ChatCompletionMessageToolCallUnion
	cost  float64 // usage.cost_usd
	h     http.Header
}

func (g *gw) ask(params openai.ChatCompletionNewParams, stream bool) (answer, error) {
	c := g.client()
	var resp *http.Response
	if !stream {
		out, err := c.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&resp))
		if err != nil {
			return answer{}, err
		}
		cost, _ := strconv.ParseFloat(out.Usage.JSON.ExtraFields["cost_usd"].Raw(), 64)
		m := out.Choices[0].Message
		return answer{text: m.Content, calls: m.ToolCalls, cost: cost, h: resp.Header}, nil
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := c.Chat.Completions.NewStreaming(context.Background(), params, option.WithResponseInto(&resp))
	defer st.Close()
	acc := openai.ChatCompletionAccumulator{}
	var cost float64
	for st.Next() {
		ch := st.Current()
		acc.AddChunk(ch)
		if f, ok := ch.Usage.JSON.ExtraFields["cost_usd"]; ok {
			cost, _ = strconv.ParseFloat(f.Raw(), 64)
		}
	}
	if err := st.Err(); err != nil {
		return answer{}, err
	}
	m := acc.Choices[0].Message
	return answer{text: m.Content, calls: m.ToolCalls, cost: cost, h: resp.Header}, nil
}

func cascadeParams(model, text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: model, Messages: userMsg(text)}
}

// TestCascadeOutcomes runs each outcome, streamed and not, and checks the
// answer, the headers, which calls were made, and the spend records.
func TestCascadeOutcomes(t *testing.T) {
	tests := []struct {
		outcome           string
		score, skip       float64
		wantText, wantMod string
		cheapCalls        int64
		strongCalls       int64
		cost              float64
	}{
		{spend.CascadeAccepted, 0.2, -1, "cheap: What is 2+3?", "cheap", 1, 0, cheapCost},
		{spend.CascadeEscalated, 0.8, -1, "strong: What is 2+3?", "strong", 1, 1, cheapCost + strongCost},
		{spend.CascadeSkipped, 0.2, 0.25, "strong: What is 2+3?", "strong", 0, 1, strongCost},
	}
	for _, tc := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tc.outcome, stream), func(t *testing.T) {
				v := &fakeVerifier{score: tc.score, threshold: 0.5, skip: tc.skip}
				g := startCascade(t, v)
				a, err := g.ask(cascadeParams("router-cascade", "What is 2+3?"), stream)
				if err != nil {
					t.Fatal(err)
				}
				if strings.TrimSpace(a.text) != tc.wantText {
					t.Errorf("text %q, want %q", a.text, tc.wantText)
				}
				checkCascadeHeaders(t, a, tc.outcome, tc.wantMod, tc.score, tc.cost)
				if got := g.cheap.complete.Load() + g.cheap.stream.Load(); got != tc.cheapCalls || g.cheap.stream.Load() != 0 {
					t.Errorf("cheap calls: %d unary, %d streamed; want %d unary", g.cheap.complete.Load(), g.cheap.stream.Load(), tc.cheapCalls)
				}
				if got := g.strong.complete.Load() + g.strong.stream.Load(); got != tc.strongCalls {
					t.Errorf("strong calls %d, want %d", got, tc.strongCalls)
				}
				if tc.outcome != spend.CascadeSkipped {
					if seen := v.calls(); len(seen) != 1 || seen[0] != [2]string{"What is 2+3?", "cheap: What is 2+3?"} {
						t.Errorf("verifier read %q", seen)
					}
				}
				checkCascadeRecords(t, g.waitRecords(int(tc.cheapCalls+tc.strongCalls)), tc.outcome)
			})
		}
	}
}

func checkCascadeHeaders(t *testing.T, a answer, outcome, model string, score, cost float64) {
	t.Helper()
	h := a.h
	if h.Get("X-Router-Cascade") != outcome || h.Get("X-Router-Model") != model || h.Get("X-Router-Rule") != "cascade" ||
		h.Get("X-Router-Score") != "0.3000" || h.Get("X-Router-Policy") != "Standard_Query" {
		t.Errorf("headers cascade=%q model=%q rule=%q score=%q policy=%q", h.Get("X-Router-Cascade"), h.Get("X-Router-Model"),
			h.Get("X-Router-Rule"), h.Get("X-Router-Score"), h.Get("X-Router-Policy"))
	}
	wantScore := strconv.FormatFloat(score, 'f', 4, 64)
	if outcome == spend.CascadeSkipped {
		wantScore = ""
	}
	if _, present := h["X-Router-Escalate-Score"]; h.Get("X-Router-Escalate-Score") != wantScore || present != (wantScore != "") {
		t.Errorf("X-Router-Escalate-Score %q, want %q", h.Get("X-Router-Escalate-Score"), wantScore)
	}
	if !strings.HasPrefix(h.Get("X-Router-Reason"), "cascade ") {
		t.Errorf("reason %q", h.Get("X-Router-Reason"))
	}
	if math.Abs(a.cost-cost) > 1e-12 {
		t.Errorf("usage.cost_usd %v, want %v (every call of the request)", a.cost, cost)
	}
}

// checkCascadeRecords: one record per call, one request id, the outcome on
// each, the cheap call's first.
func checkCascadeRecords(t *testing.T, recs []spend.Record, outcome string) {
	t.Helper()
	steps := map[string][]string{
		spend.CascadeAccepted:  {"cheap/cheap"},
		spend.CascadeEscalated: {"cheap/cheap", "strong/strong"},
		spend.CascadeSkipped:   {"strong/strong"},
	}[outcome]
	if len(recs) != len(steps) {
		t.Fatalf("%d records, want %d", len(recs), len(steps))
	}
	for i, r := range recs {
		want := map[string]float64{"cheap": cheapCost, "strong": strongCost}[r.Model]
		if got := r.CascadeStep + "/" + r.Model; got != steps[i] || r.Cascade != outcome || r.RequestID != recs[0].RequestID ||
			r.Status != "ok" || r.Rule != "cascade" || math.Abs(r.CostUSD-want) > 1e-12 || r.InputTokens != 10 || r.OutputTokens != 5 {
			t.Errorf("record %d: %+v, want step/model %s, outcome %s, cost %v", i, r, steps[i], outcome, want)
		}
	}
}

func TestCascadeThresholdInModel(t *testing.T) {
	for _, tc := range []struct {
		model, outcome string
	}{
		{"router-cascade-0.9", spend.CascadeAccepted},   // 0.6 < 0.9
		{"router-cascade-0.35", spend.CascadeEscalated}, // 0.6 >= 0.35
		{"router-cascade-1", spend.CascadeAccepted},
		{"router-cascade-0", spend.CascadeEscalated},
	} {
		t.Run(tc.model, func(t *testing.T) {
			g := startCascade(t, &fakeVerifier{score: 0.6, threshold: 0.5, skip: -1})
			a, err := g.ask(cascadeParams(tc.model, "hi"), false)
			if err != nil {
				t.Fatal(err)
			}
			if a.h.Get("X-Router-Cascade") != tc.outcome {
				t.Errorf("outcome %q, want %q (reason %q)", a.h.Get("X-Router-Cascade"), tc.outcome, a.h.Get("X-Router-Reason"))
			}
		})
	}
}

// TestCascadeConfigThreshold: router.cascade_threshold replaces the
// verifier's own.
func TestCascadeConfigThreshold(t *testing.T) {
	cfg, err := ParseConfig([]byte(baseYAML+"router: {cascade_threshold: 0.7}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c := newCascadeSetup(cfg, &fakeVerifier{threshold: 0.5}); c.threshold != 0.7 || c.cheap != "cheap" || c.strong != "strong" {
		t.Errorf("setup %+v", c)
	}
	if _, err := ParseConfig([]byte(baseYAML+"router: {cascade_threshold: 1.5}\n"), "t.yaml"); err == nil ||
		!strings.Contains(err.Error(), "router.cascade_threshold") {
		t.Errorf("cascade_threshold 1.5: %v", err)
	}
}

func TestCascadeBadRequests(t *testing.T) {
	plain := startCascade(t, nil)
	noRouter := startGW(t, baseYAML)
	for _, tc := range []struct {
		name, model, contains string
		g                     *gw
	}{
		{"not a number", "router-cascade-x", `model \"router-cascade-x\": the threshold after \"router-cascade-\" must be a number in [0, 1]`, plain.gw},
		{"out of range", "router-cascade-1.5", `model \"router-cascade-1.5\"`, plain.gw},
		{"empty threshold", "router-cascade-", `model \"router-cascade-\"`, plain.gw},
		{"model without cascade", "router-cascade", "has no cascade verifier; train one on oracle rows that carry the cheap model's answers (e.g. llmrouter pipeline --benchmark gsm8k)", plain.gw},
		{"no router model", "router-cascade", "needs a trained router model with a cascade verifier, and the gateway has none loaded (router.model_path)", noRouter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := tc.g.post("/v1/chat/completions", `{"model":"`+tc.model+`","messages":[{"role":"user","content":"hi"}]}`)
			if status != 400 || !strings.Contains(body, tc.contains) || !strings.Contains(body, `"param":"model"`) {
				t.Errorf("status %d body %s\nwant 400 containing %s", status, body, tc.contains)
			}
		})
	}
	if n := plain.cheap.complete.Load() + plain.strong.complete.Load(); n != 0 {
		t.Errorf("%d upstream calls for refused requests", n)
	}
}

// TestCascadeToolCall: a cheap answer that calls a tool is accepted without
// asking the verifier, streamed and not.
func TestCascadeToolCall(t *testing.T) {
	call := provider.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}
	tooling := &counting{Provider: answering("cheap", 10, 5)}
	tooling.Provider = toolCaller{call}
	v := &fakeVerifier{score: 0.99, threshold: 0.5, skip: -1}
	strong := &counting{Provider: answering("strong", 10, 5)}
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": tooling, "strong": strong}),
		withRouter(&fakeRouter{score: 0.3, threshold: 0.5}), withCascade(v))
	params := cascadeParams("router-cascade", "weather in Paris?")
	params.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_weather"})}
	for _, stream := range []bool{false, true} {
		a, err := g.ask(params, stream)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.calls) != 1 || a.calls[0].ID != "call_1" || a.calls[0].Function.Arguments != `{"city":"Paris"}` {
			t.Errorf("stream=%v: tool calls %+v", stream, a.calls)
		}
		if a.h.Get("X-Router-Cascade") != spend.CascadeAccepted || a.h.Get("X-Router-Escalate-Score") != "" || a.h.Get("X-Router-Model") != "cheap" {
			t.Errorf("stream=%v: headers %v", stream, a.h)
		}
	}
	if len(v.calls()) != 0 || strong.complete.Load()+strong.stream.Load() != 0 {
		t.Errorf("verifier asked %d times, strong model %d", len(v.calls()), strong.complete.Load()+strong.stream.Load())
	}
	g.waitRecords(2)
}

// TestCascadeReplayKeepsRefusalAndLogprobs: an accepted cheap answer is
// replayed to a streaming client with its refusal and logprobs, as the
// unary answer carries them.
func TestCascadeReplayKeepsRefusalAndLogprobs(t *testing.T) {
	cheap := &providertest.Fake{CompleteFunc: func(context.Context, *provider.Request) (*provider.Response, error) {
		return &provider.Response{Refusal: "I can't help with that.", FinishReason: "stop",
			Logprobs: []provider.TokenLogprob{{Token: "I", Logprob: -0.25}},
			Usage:    provider.Usage{InputTokens: 10, OutputTokens: 5}}, nil
	}}
	v := &fakeVerifier{score: 0.1, threshold: 0.5, skip: -1}
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": cheap, "strong": answering("strong", 10, 5)}),
		withRouter(&fakeRouter{score: 0.3, threshold: 0.5}), withCascade(v))
	for _, stream := range []bool{false, true} {
		body := fmt.Sprintf(`{"model":"router-cascade","stream":%v,"logprobs":true,"messages":[{"role":"user","content":"help me"}]}`, stream)
		code, h, resp := g.post("/v1/chat/completions", body)
		if code != 200 || h.Get("X-Router-Cascade") != spend.CascadeAccepted {
			t.Fatalf("stream=%v: status %d cascade %q: %s", stream, code, h.Get("X-Router-Cascade"), resp)
		}
		if !strings.Contains(resp, `"refusal":"I can't help with that."`) || !strings.Contains(resp, `"token":"I"`) {
			t.Errorf("stream=%v: answer lacks the cheap model's refusal or logprobs:\n%s", stream, resp)
		}
	}
	g.waitRecords(2)
}

// toolCaller answers every call with one tool call.
type toolCaller struct{ call provider.ToolCall }

func (p toolCaller) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	return &provider.Response{ToolCalls: []provider.ToolCall{p.call}, FinishReason: "tool_calls", Usage: provider.Usage{InputTokens: 10, OutputTokens: 5}}, nil
}

func (p toolCaller) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("toolCaller: a cascade must not stream the cheap call")
}

// TestCascadeBudget: a cascade reserves both calls before the first, so a
// budget that holds the cheap call but not an escalation refuses it up
// front; the strong call's share is freed as soon as the cheap answer is
// accepted, and each call is charged what it cost.
func TestCascadeBudget(t *testing.T) {
	body := `{"model":"%s","max_tokens":100,"messages":[{"role":"user","content":"What is 2+3?"}]}`
	req, err := openaiapi.ParseChatRequest([]byte(fmt.Sprintf(body, "cheap")))
	if err != nil {
		t.Fatal(err)
	}
	cheapMax, strongMax := 1.0*float64(reservePrompt(req))/1e6+2.0*100/1e6, 10.0*float64(reservePrompt(req))/1e6+20.0*100/1e6

	t.Run("refused up front", func(t *testing.T) {
		b, err := spend.NewBudgets(spend.BudgetConfig{GlobalUSD: cheapMax + strongMax/2}, spend.NewMemoryCounter())
		if err != nil {
			t.Fatal(err)
		}
		g := startCascade(t, &fakeVerifier{score: 0.9, threshold: 0.5, skip: -1}, withBudgets(b))
		status, _, resp := g.post("/v1/chat/completions", fmt.Sprintf(body, "router-cascade"))
		if status != 429 || !strings.Contains(resp, "insufficient_quota") {
			t.Fatalf("status %d: %s", status, resp)
		}
		if n := g.cheap.complete.Load() + g.strong.complete.Load(); n != 0 {
			t.Errorf("%d upstream calls for a refused cascade", n)
		}
		if status, _, resp := g.post("/v1/chat/completions", fmt.Sprintf(body, "cheap")); status != 200 {
			t.Errorf("the cheap call alone fits the budget, yet: %d %s", status, resp)
		}
		g.waitRecords(2)
	})

	for _, tc := range []struct {
		score float64
		spent float64
	}{{0.1, cheapCost}, {0.9, cheapCost + strongCost}} {
		t.Run(fmt.Sprint("score=", tc.score), func(t *testing.T) {
			counter := spend.NewMemoryCounter()
			b, err := spend.NewBudgets(spend.BudgetConfig{GlobalUSD: 1}, counter)
			if err != nil {
				t.Fatal(err)
			}
			var reservedDuringCheap int64
			g := startCascade(t, &fakeVerifier{score: tc.score, threshold: 0.5, skip: -1}, withBudgets(b))
			g.cheap.Provider = &probe{Provider: g.cheap.Provider, before: func() {
				_, reservedDuringCheap, _ = counter.Usage(context.Background(), "total/global")
			}}
			if status, _, resp := g.post("/v1/chat/completions", fmt.Sprintf(body, "router-cascade")); status != 200 {
				t.Fatalf("status %d: %s", status, resp)
			}
			if want := spend.Nanos(cheapMax) + spend.Nanos(strongMax); reservedDuringCheap != want {
				t.Errorf("reserved during the cheap call: %d nano-USD, want both calls' maxima %d", reservedDuringCheap, want)
			}
			g.waitRecords(map[bool]int{false: 1, true: 2}[tc.score > 0.5])
			spent, reserved, _ := counter.Usage(context.Background(), "total/global")
			if spent != spend.Nanos(tc.spent) || reserved != 0 {
				t.Errorf("after the request: spent %d reserved %d, want spent %d and nothing reserved", spent, reserved, spend.Nanos(tc.spent))
			}
		})
	}
}

// probe runs before ahead of each unary call.
type probe struct {
	provider.Provider
	before func()
}

func (p *probe) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	p.before()
	return p.Provider.Complete(ctx, req)
}

// TestCascadeCheapFailure: when the cheap chain fails (after its retries
// and fallbacks), the strong model answers; both calls are recorded.
func TestCascadeCheapFailure(t *testing.T) {
	for _, stream := range []bool{false, true} {
		v := &fakeVerifier{score: 0.1, threshold: 0.5, skip: -1}
		strong := &counting{Provider: answering("strong", 10, 5)}
		g := startGW(t, baseYAML+"fallbacks: {cheap: [backup]}\n", withProviders(map[string]provider.Provider{
			"cheap": failing(apierr.UpstreamUnavailable), "backup": failing(apierr.UpstreamRateLimited), "strong": strong,
		}), withRouter(&fakeRouter{score: 0.3, threshold: 0.5}), withCascade(v))
		a, err := g.ask(cascadeParams("router-cascade", "hi"), stream)
		if err != nil {
			t.Fatal(err)
		}
		if a.text != "strong: hi" && strings.TrimSpace(a.text) != "strong: hi" || a.h.Get("X-Router-Cascade") != spend.CascadeEscalated ||
			a.h.Get("X-Router-Escalate-Score") != "" || a.h.Get("X-Router-Fallback-From") != "" || !strings.Contains(a.h.Get("X-Router-Reason"), "backup failed") {
			t.Errorf("stream=%v: text %q headers %v", stream, a.text, a.h)
		}
		recs := g.waitRecords(2)
		if recs[0].RequestID != recs[1].RequestID || recs[0].Model+recs[0].Status != "backupupstream_rate_limited" || recs[1].Model+recs[1].Status != "strongok" {
			t.Errorf("records %+v", recs)
		}
		if len(v.calls()) != 0 {
			t.Error("verifier asked about a failed call")
		}
	}
}

// TestCascadeMetrics: /metrics counts outcomes, every outcome from zero.
func TestCascadeMetrics(t *testing.T) {
	g := startCascade(t, &fakeVerifier{score: 0.9, threshold: 0.5, skip: -1})
	for range 2 {
		if _, err := g.ask(cascadeParams("router-cascade", "hi"), false); err != nil {
			t.Fatal(err)
		}
	}
	_, _, body := g.get("/metrics")
	for _, want := range []string{
		`llmrouter_cascade_requests_total{outcome="escalated"} 2`,
		`llmrouter_cascade_requests_total{outcome="accepted"} 0`,
		`llmrouter_cascade_requests_total{outcome="skipped"} 0`,
		`llmrouter_router_decisions_total{model="strong",policy="Standard_Query",rule="cascade"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	_, _, models := g.get("/v1/models")
	if !strings.Contains(models, `"id":"router-cascade"`) {
		t.Errorf("/v1/models lacks router-cascade: %s", models)
	}
	g.waitRecords(4)
}

// TestCascadeClientGone: a client that leaves during the cheap call
// cancels it; nothing escalates and no reservation is left behind.
func TestCascadeClientGone(t *testing.T) {
	counter := spend.NewMemoryCounter()
	b, err := spend.NewBudgets(spend.BudgetConfig{GlobalUSD: 1}, counter)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	hang := &providertest.Fake{CompleteFunc: func(ctx context.Context, _ *provider.Request) (*provider.Response, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	strong := &counting{Provider: answering("strong", 10, 5)}
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": hang, "strong": strong}),
		withRouter(&fakeRouter{score: 0.3, threshold: 0.5}), withCascade(&fakeVerifier{score: 0.1, threshold: 0.5, skip: -1}), withBudgets(b))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.ts.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"router-cascade","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request finished though its client left")
	}
	recs := g.waitRecords(1)
	if r := recs[0]; r.Status != "client_gone" || r.Cascade != "" || r.CostUSD != 0 {
		t.Errorf("record %+v", r)
	}
	if _, reserved, _ := counter.Usage(context.Background(), "total/global"); reserved != 0 || strong.complete.Load()+strong.stream.Load() != 0 {
		t.Errorf("reserved %d after the client left; strong calls %d", reserved, strong.complete.Load()+strong.stream.Load())
	}
}
