package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/alicebob/miniredis/v2"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

const (
	geminiKey  = "gem-secret-key-123"
	openaiKey  = "oai-secret-key-456"
	gatewayKey = "sk-gateway-test-789"
)

// real is a gateway built by Open (registry with the real Gemini and
// OpenAI clients, SQLite store, budgets) in front of upstreamfake.
type real struct {
	*gw
	fake *upstreamfake.Server
	db   string
	hc   *http.Client
}

// fakeStats snapshots the fake upstream's counters once its handlers have
// finished: a client can read a whole answer before the handler that wrote
// it has counted the call.
func fakeStats(t *testing.T, fake *upstreamfake.Server) upstreamfake.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := fake.WaitIdle(ctx); err != nil {
		t.Fatalf("upstream calls still in flight after 5 s: %v (%+v)", err, fake.Stats())
	}
	return fake.Stats()
}

// startReal serves a gateway with two models on a new fake: flash (Gemini
// protocol) and mini (OpenAI protocol); extra is appended to the config.
func startReal(t *testing.T, extra string, fakeOpts ...upstreamfake.Option) *real {
	t.Helper()
	fake := upstreamfake.New(t, append([]upstreamfake.Option{upstreamfake.WithAPIKey("")}, fakeOpts...)...)
	return startGateway(t, fake, extra, nil)
}

// startGateway serves a gateway built by Open in front of fake, with
// extraEnv added to its environment.
func startGateway(t *testing.T, fake *upstreamfake.Server, extra string, extraEnv map[string]string) *real {
	t.Helper()
	db := filepath.Join(t.TempDir(), "spend.db")
	yaml := fmt.Sprintf(`
auth:
  keys: [{id: tester, sha256: %s}]
models:
  flash:
    provider: gemini
    upstream_model: gemini-2.5-flash
    base_url: %s
    api_key_env: TEST_GEMINI_KEY
    price: {input: 1000, output: 1000}
  mini:
    provider: openai
    upstream_model: gpt-4o-mini
    base_url: %s
    api_key_env: TEST_OPENAI_KEY
    modalities: [text, image, audio, file]
    price: {input: 1000, output: 1000}
policy_mapping: {cheap_model: flash, strong_model: mini}
spend: {sqlite_path: %s%s}
retry: {max_attempts: 2, base_delay: 1ms, max_delay: 2ms}
%s`, HashKey(gatewayKey), fake.GeminiBase, fake.OpenAIBase, db, redisSetting(extraEnv), extra)
	cfg, err := ParseConfig([]byte(yaml), "e2e.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TEST_GEMINI_KEY": geminiKey, "TEST_OPENAI_KEY": openaiKey}
	for k, v := range extraEnv {
		env[k] = v
	}
	t.Cleanup(fake.Close)
	return openReal(t, cfg, env, gatewayKey, fake, db)
}

// openReal serves the gateway Open builds from cfg with env as its
// environment. At cleanup it closes the gateway and checks that no
// secret reached the logs, the spend database at db or the fake's
// recorded requests; key is the client key requests carry.
func openReal(t *testing.T, cfg *Config, env map[string]string, key string, fake *upstreamfake.Server, db string) *real {
	t.Helper()
	logs := &syncBuffer{}
	hc := &http.Client{Transport: &http.Transport{}}
	srv, closeFn, err := Open(context.Background(), cfg, OpenOptions{
		Getenv: func(k string) string { return env[k] }, Logger: slog.New(slog.NewJSONHandler(logs, nil)), HTTPClient: hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	r := &real{gw: &gw{t: t, srv: srv, ts: ts, logs: logs, key: key}, fake: fake, db: db, hc: hc}
	t.Cleanup(func() {
		ts.Close()
		if err := closeFn(); err != nil {
			t.Error(err)
		}
		hc.CloseIdleConnections()
		r.checkSecrets()
	})
	return r
}

// redisSetting points the gateway at TEST_REDIS_URL when the test set it.
func redisSetting(env map[string]string) string {
	if env["TEST_REDIS_URL"] == "" {
		return ""
	}
	if p := env["TEST_REDIS_POLICY"]; p != "" {
		return ", redis_url_env: TEST_REDIS_URL, on_redis_error: " + p
	}
	return ", redis_url_env: TEST_REDIS_URL"
}

// checkSecrets fails if any key reached the logs or the files the
// gateway wrote (the spend database and its WAL).
func (r *real) checkSecrets() {
	files, _ := filepath.Glob(r.db + "*")
	// pgPassword is the operations tests' PostgreSQL password, which the
	// gateway must redact from its connection errors.
	for _, k := range []string{geminiKey, openaiKey, gatewayKey, pgPassword} {
		if strings.Contains(r.logs.String(), k) {
			r.t.Errorf("key %q found in the logs", k[:6])
		}
		for _, f := range files {
			if data, err := os.ReadFile(f); err == nil && bytes.Contains(data, []byte(k)) {
				r.t.Errorf("key %q found in %s", k[:6], filepath.Base(f))
			}
		}
	}
}

// summary reads back what the gateway recorded.
func (r *real) summary() spend.Row {
	r.t.Helper()
	// The gateway queues records for its writer (the answer does not wait
	// for the commit); what has been queued is committed before reading.
	if f, ok := r.srv.deps.Store.(interface{ Flush(context.Context) error }); ok {
		if err := f.Flush(context.Background()); err != nil {
			r.t.Fatal(err)
		}
	}
	st, err := sqlite.Open(context.Background(), r.db, sqlite.Options{MustExist: true})
	if err != nil {
		r.t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Summary(context.Background(), spend.Query{GroupBy: spend.ByKey})
	if err != nil {
		r.t.Fatal(err)
	}
	var total spend.Row
	for _, row := range rows {
		total.Requests += row.Requests
		total.Errors += row.Errors
		total.InputTokens += row.InputTokens
		total.OutputTokens += row.OutputTokens + row.ThinkingTokens
		total.CostUSD += row.CostUSD
	}
	return total
}

func (r *real) chat(model, text string, stream bool) (string, *http.Response, error) {
	c := r.client()
	var resp *http.Response
	params := openai.ChatCompletionNewParams{Model: model, Messages: userMsg(text)}
	if !stream {
		out, err := c.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&resp))
		if err != nil {
			return "", resp, err
		}
		return out.Choices[0].Message.Content, resp, nil
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := c.Chat.Completions.NewStreaming(context.Background(), params, option.WithResponseInto(&resp))
	defer st.Close()
	var sb strings.Builder
	for st.Next() {
		if ch := st.Current(); len(ch.Choices) > 0 {
			sb.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	return sb.String(), resp, st.Err()
}

func TestE2EBothProtocols(t *testing.T) {
	r := startReal(t, "")
	n := 0
	for _, model := range []string{"flash", "mini"} {
		for _, stream := range []bool{false, true} {
			n++
			text, resp, err := r.chat(model, fmt.Sprintf("question %d about %s", n, model), stream)
			if err != nil {
				t.Fatalf("%s stream=%v: %v", model, stream, err)
			}
			upstream := map[string]string{"flash": "gemini-2.5-flash", "mini": "gpt-4o-mini"}[model]
			if want := fmt.Sprintf("Answer from %s: question %d about %s", upstream, n, model); strings.TrimSpace(text) != want {
				t.Errorf("%s stream=%v: text %q, want %q", model, stream, text, want)
			}
			if resp.Header.Get("X-Router-Model") != model {
				t.Errorf("X-Router-Model %q", resp.Header.Get("X-Router-Model"))
			}
		}
	}
	r.ts.Close() // drain, so every record is written
	st := fakeStats(t, r.fake)
	sum := r.summary()
	wantCost := float64(st.Usage.Total()) * 1000 / 1e6
	if sum.Requests != 4 || sum.InputTokens != st.Usage.Input || sum.OutputTokens != st.Usage.Output+st.Usage.Thinking || math.Abs(sum.CostUSD-wantCost) > 1e-9 {
		t.Errorf("recorded %+v, upstream reported %+v (cost %v)", sum, st.Usage, wantCost)
	}
}

func TestE2EFallbackOn500(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprint("stream=", stream), func(t *testing.T) {
			r := startReal(t, "fallbacks: {flash: [mini]}\n",
				upstreamfake.WithScript(upstreamfake.ForModel("gemini-2.5-flash", upstreamfake.Always(upstreamfake.HTTPStatus(500)))))
			text, resp, err := r.chat("flash", "hello", stream)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, "Answer from gpt-4o-mini") || resp.Header.Get("X-Router-Model") != "mini" || resp.Header.Get("X-Router-Fallback-From") != "flash" {
				t.Errorf("text %q headers %v", text, resp.Header)
			}
			if st := fakeStats(t, r.fake); st.ByModel["gemini-2.5-flash"] != 2 || st.ByModel["gpt-4o-mini"] != 1 {
				t.Errorf("calls by model %v (want 2 tries of flash, then mini)", st.ByModel)
			}
		})
	}
}

func TestE2EUpstreamFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  upstreamfake.Fault
		stream bool
		status int
		typ    string
	}{
		{"500 exhausted", upstreamfake.HTTPStatus(500), false, 502, "api_error"},
		{"429 exhausted", upstreamfake.RateLimited(time.Millisecond), false, 429, "rate_limit_error"},
		{"garbage body", upstreamfake.Fault{Kind: upstreamfake.Malformed}, false, 502, "api_error"},
		{"garbage stream", upstreamfake.Fault{Kind: upstreamfake.Malformed}, true, 502, "api_error"},
		{"reset", upstreamfake.Fault{Kind: upstreamfake.Reset}, false, 502, "api_error"},
		{"stream reset before first byte", upstreamfake.Fault{Kind: upstreamfake.Reset}, true, 502, "api_error"},
		{"hang", upstreamfake.Fault{Kind: upstreamfake.Hang}, false, 504, "timeout_error"},
		{"hang stream", upstreamfake.Fault{Kind: upstreamfake.Hang}, true, 504, "timeout_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := startReal(t, "limits: {request_timeout: 1s}\n", upstreamfake.WithScript(upstreamfake.Always(tc.fault)))
			_, _, err := r.chat("flash", "hello", tc.stream)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Type != tc.typ {
				t.Fatalf("err = %v, want %d %s", err, tc.status, tc.typ)
			}
			// The gateway keeps serving.
			if status, _, _ := r.get("/healthz"); status != 200 {
				t.Errorf("healthz %d", status)
			}
			r.ts.Close()
			if sum := r.summary(); sum.Requests != 1 || sum.Errors != 1 || sum.CostUSD != 0 {
				t.Errorf("a failed request is recorded once, uncharged: %+v", sum)
			}
		})
	}
}

func TestE2EMidStreamFailure(t *testing.T) {
	r := startReal(t, "fallbacks: {flash: [mini]}\n",
		upstreamfake.WithScript(upstreamfake.ForModel("gemini-2.5-flash", upstreamfake.Always(upstreamfake.Fault{Kind: upstreamfake.Truncate, AfterChunks: 1}))),
		upstreamfake.WithAnswer(func(*upstreamfake.Request) upstreamfake.Reply {
			return upstreamfake.Reply{Text: "one two three four five six seven eight nine ten"}
		}))
	status, _, body := r.post("/v1/chat/completions", `{"model":"flash","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "Authorization", "Bearer "+gatewayKey)
	if status != 200 || !strings.Contains(body, `"content":"one two three`) {
		t.Fatalf("status %d body %s", status, body)
	}
	events := strings.Split(strings.TrimSpace(body), "\n\n")
	if last := events[len(events)-1]; !strings.HasPrefix(last, `data: {"error":{`) || strings.Contains(body, "[DONE]") {
		t.Errorf("want a final error event and no [DONE]:\n%s", body)
	}
	if fakeStats(t, r.fake).ByModel["gpt-4o-mini"] != 0 {
		t.Error("fell back after bytes were sent")
	}
}

func TestE2EClientDisconnectMidStream(t *testing.T) {
	r := startReal(t, "", upstreamfake.WithScript(upstreamfake.Always(upstreamfake.Fault{Kind: upstreamfake.Hang, AfterChunks: 1})))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.ts.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"mini","stream":true,"messages":[{"role":"user","content":"hi there"}]}`))
	req.Header.Set("Authorization", "Bearer "+gatewayKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: {") {
		t.Fatalf("first line %q: %v", line, err)
	}
	cancel() // the client goes away while the upstream hangs
	resp.Body.Close()
	recs := waitSummary(t, r, 1)
	if recs.Errors != 1 {
		t.Errorf("disconnect recorded as %+v", recs)
	}
	if !strings.Contains(r.logs.String(), `"status":499`) {
		t.Errorf("no 499 in logs: %s", r.logs.String())
	}
	if st := fakeStats(t, r.fake); st.InFlight != 0 {
		t.Errorf("upstream call still in flight after the client left: %+v", st)
	}
}

// waitSummary polls the database until n requests are recorded.
func waitSummary(t *testing.T, r *real, n int64) spend.Row {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := r.summary()
		if s.Requests >= n || time.Now().After(deadline) {
			if s.Requests != n {
				t.Fatalf("recorded %d requests, want %d", s.Requests, n)
			}
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// budgetWords makes every answer exactly 100 output tokens.
var budgetWords = strings.TrimSpace(strings.Repeat("word ", 100))

func budgetAnswer(*upstreamfake.Request) upstreamfake.Reply {
	return upstreamfake.Reply{Text: budgetWords}
}

// Each budget-test request: 1 input token + 100 output tokens at $1000/M
// = $0.101; its reservation (prompt estimate + max_tokens) is a little more.
const (
	budgetUSD     = 5.05
	budgetMaxCost = float64((2+2)/3+4+3+100) * 1000 / 1e6
)

// hammer sends n concurrent requests spread over the gateways and returns
// the status counts.
func hammer(t *testing.T, n int, gws ...*real) map[int]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"model":"mini","max_tokens":100,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, i%2 == 0)
			status, _, resp := gws[i%len(gws)].post("/v1/chat/completions", body, "Authorization", "Bearer "+gatewayKey)
			if status == 429 && !strings.Contains(resp, `"type":"insufficient_quota"`) {
				t.Errorf("429 without insufficient_quota: %s", resp)
			}
			mu.Lock()
			codes[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}

// checkBudget asserts the budget held and spend is exact across gateways.
func checkBudget(t *testing.T, n int, codes map[int]int, fake *upstreamfake.Server, gws ...*real) {
	t.Helper()
	var sum spend.Row
	outage := false
	for _, g := range gws {
		// An overloaded machine can time a Redis call out; the breaker
		// then opens and each replica (spend.replicas unset: 1) counts
		// locally up to the whole budget, the documented outage bound.
		outage = outage || strings.Contains(g.logs.String(), "breaker open")
		g.ts.Close()
		s := g.summary()
		sum.Requests += s.Requests
		sum.CostUSD += s.CostUSD
	}
	st := fakeStats(t, fake)
	upstreamCost := float64(st.Usage.Total()) * 1000 / 1e6
	t.Logf("statuses %v, recorded $%.4f over %d requests, upstream calls %d", codes, sum.CostUSD, sum.Requests, st.Calls)
	most, budget := 50, budgetUSD
	if outage {
		t.Logf("Redis timed out under load and the breaker opened: allowing each of %d replicas the whole budget", len(gws))
		most, budget = 50*len(gws), budgetUSD*float64(len(gws))
	}
	if codes[200]+codes[429] != n || codes[200] < 40 || codes[200] > most {
		t.Errorf("statuses %v: want about 50 answered and the rest 429", codes)
	}
	if sum.CostUSD > budget+budgetMaxCost {
		t.Errorf("spent $%.4f, over budget $%.2f + one max cost $%.4f", sum.CostUSD, budgetUSD, budgetMaxCost)
	}
	if math.Abs(sum.CostUSD-upstreamCost) > 1e-9 || sum.Requests != int64(n) || st.Calls != codes[200] {
		t.Errorf("recorded $%.6f, upstream usage $%.6f; %d records, %d upstream calls for %d answers", sum.CostUSD, upstreamCost, sum.Requests, st.Calls, codes[200])
	}
}

// TestE2EBudgetConcurrent sends 100 concurrent requests against a budget
// that allows about 50: spend may exceed the budget by at most one
// request's maximum cost, and the recorded total equals the sum of the
// upstream's reported usage.
func TestE2EBudgetConcurrent(t *testing.T) {
	r := startReal(t, fmt.Sprintf("budgets: {global_usd: %v}\n", budgetUSD),
		upstreamfake.WithAnswer(budgetAnswer), upstreamfake.WithLatency(20*time.Millisecond))
	checkBudget(t, 100, hammer(t, 100, r), r.fake, r)
}

// TestE2EBudgetTwoReplicas runs the same load across two gateways sharing
// one Redis: the budget holds across replicas. It uses miniredis: the
// gateway's counters use fixed key names, which would collide with other
// packages' tests on CI's shared redis-server (spend/redis covers that).
func TestE2EBudgetTwoReplicas(t *testing.T) {
	url := "redis://" + miniredis.RunT(t).Addr() + "/0"
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""), upstreamfake.WithAnswer(budgetAnswer), upstreamfake.WithLatency(20*time.Millisecond))
	extra := fmt.Sprintf("budgets: {global_usd: %v}\n", budgetUSD)
	env := map[string]string{"TEST_REDIS_URL": url}
	a := startGateway(t, fake, extra, env)
	b := startGateway(t, fake, extra, env)
	checkBudget(t, 100, hammer(t, 100, a, b), fake, a, b)
}
