package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// pgPassword is put in the PostgreSQL URL (the test server trusts
// loopback, so it is never checked) to prove it never reaches the logs.
const pgPassword = "pg-secret-pw-314"

// opsOpts configure a gateway for the operations tests.
type opsOpts struct {
	pgURL    string // PostgreSQL spend store instead of SQLite
	redisURL string // shared budgets and rate limits
	extra    string // appended to the config
	// cheap and strong name the two models: by default flash at $1000
	// and mini at $3000/$6000 per 1M tokens, so every token shows in costs.
	cheap, strong string
	prices        [4]float64 // cheap in and out, strong in and out
}

// startOps serves a gateway built by Open in front of fake with two
// client keys (team-a, team-b) and an admin key.
func startOps(t *testing.T, fake *upstreamfake.Server, o opsOpts) *real {
	t.Helper()
	if o.cheap == "" {
		o.cheap, o.strong, o.prices = "flash", "mini", [4]float64{1000, 1000, 3000, 6000}
	}
	sqlitePath := filepath.Join(t.TempDir(), "spend.db")
	db := sqlitePath // the file checkSecrets scans
	env := map[string]string{"TEST_GEMINI_KEY": geminiKey, "TEST_OPENAI_KEY": openaiKey}
	var spendExtra string
	if o.pgURL != "" {
		env["TEST_PG_URL"] = o.pgURL
		spendExtra += ", postgres_url_env: TEST_PG_URL"
		db = filepath.Join(t.TempDir(), "no-file")
	}
	if o.redisURL != "" {
		env["TEST_REDIS_URL"] = o.redisURL
		spendExtra += ", redis_url_env: TEST_REDIS_URL"
	}
	yaml := fmt.Sprintf(`
auth:
  keys: [{id: team-a, sha256: %s}, {id: team-b, sha256: %s}]
  admin_keys: [{id: ops, sha256: %s}]
models:
  %s: {provider: gemini, upstream_model: gemini-2.5-flash, base_url: %s, api_key_env: TEST_GEMINI_KEY, price: {input: %v, output: %v}}
  %s: {provider: openai, upstream_model: gpt-4o-mini, base_url: %s, api_key_env: TEST_OPENAI_KEY, price: {input: %v, output: %v}}
policy_mapping: {cheap_model: %s, strong_model: %s}
spend: {sqlite_path: %s%s}
retry: {max_attempts: 2, base_delay: 1ms, max_delay: 2ms}
%s`, HashKey(keyA), HashKey(keyB), HashKey(adminKey), o.cheap, fake.GeminiBase, o.prices[0], o.prices[1],
		o.strong, fake.OpenAIBase, o.prices[2], o.prices[3], o.cheap, o.strong, sqlitePath, spendExtra, o.extra)
	cfg, err := ParseConfig([]byte(yaml), "ops-e2e.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return openReal(t, cfg, env, keyA, fake, db)
}

// withPassword puts pgPassword in a PostgreSQL URL.
func withPassword(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), pgPassword)
	return u.String()
}

// flush commits what the gateway has queued for its spend store.
func (r *real) flush() {
	r.t.Helper()
	if f, ok := r.srv.deps.Store.(interface{ Flush(context.Context) error }); ok {
		if err := f.Flush(context.Background()); err != nil {
			r.t.Fatal(err)
		}
	}
}

// waitRequests flushes and polls the usage API until it counts n
// requests: a handler records its request after the client has the
// answer. More than n fails at once: a request counted twice.
func (r *real) waitRequests(n int64) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.flush()
		var s Summary
		r.usage("/v1/usage/summary", &s)
		if s.Totals.Requests >= n || time.Now().After(deadline) {
			if s.Totals.Requests != n {
				r.t.Fatalf("usage counts %d requests, want %d", s.Totals.Requests, n)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// usage GETs a usage view with the admin key and decodes it into v.
func (r *real) usage(path string, v any) {
	r.t.Helper()
	status, _, body := r.get(path, bearerHdr(adminKey)...)
	if status != 200 {
		r.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		r.t.Fatalf("GET %s: %v", path, err)
	}
}

// traffic sends n chat requests spread over both keys, both models and
// the router, streamed and not; all are answered.
func traffic(t *testing.T, n int, gws ...*real) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			key := []string{keyA, keyB}[i%2]
			pm := gws[0].srv.cfg.PolicyMapping
			model := []string{pm.CheapModel, pm.StrongModel, "router"}[i%3]
			body := fmt.Sprintf(`{"model":%q,"max_tokens":50,"messages":[{"role":"user","content":"question %d"}]}`, model, i)
			if i%4 == 0 {
				body = fmt.Sprintf(`{"model":%q,"stream":true,"stream_options":{"include_usage":true},"max_tokens":50,"messages":[{"role":"user","content":"question %d"}]}`, model, i)
			}
			status, _, resp := gws[i%len(gws)].post("/v1/chat/completions", body, bearerHdr(key)...)
			if status != 200 {
				t.Errorf("request %d: %d %s", i, status, resp)
			}
		}()
	}
	wg.Wait()
}

// checkAgainstUpstream asserts the summary counts n requests and exactly
// the tokens and cost the fake reported.
func checkAgainstUpstream(t *testing.T, s Summary, st upstreamfake.Stats, n int64, who string) {
	t.Helper()
	tot := s.Totals
	if tot.Requests != n || tot.Errors != 0 || tot.InputTokens != st.Usage.Input || tot.OutputTokens+tot.ThinkingTokens != st.Usage.Output+st.Usage.Thinking {
		t.Errorf("%s: summary %d requests, %d errors, %d in, %d out; upstream %d calls, %+v", who, tot.Requests, tot.Errors,
			tot.InputTokens, tot.OutputTokens+tot.ThinkingTokens, st.Calls, st.Usage)
	}
	if tot.Requests != int64(st.Calls) {
		t.Errorf("%s: %d requests recorded, %d upstream calls", who, tot.Requests, st.Calls)
	}
}

func TestUsageAPIMatchesStore(t *testing.T) {
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""))
	r := startOps(t, fake, opsOpts{})
	traffic(t, 60, r)
	r.waitRequests(60)
	st := fakeStats(t, fake)
	var d Dashboard
	r.usage("/v1/usage/dashboard", &d)
	checkAgainstUpstream(t, d.Summary, st, 60, "dashboard")
	// Every view equals a report read straight from the store.
	rep := r.srv.deps.Store.(spend.Reporter)
	for _, v := range []struct {
		name string
		got  Groups
		by   spend.GroupBy
	}{{"by model", d.ByModel, spend.ByModel}, {"by policy", d.ByPolicy, spend.ByPolicy}, {"top keys", d.TopKeys, spend.ByKey}, {"series", d.Series, spend.ByDay}} {
		want, err := rep.Report(context.Background(), spend.Query{GroupBy: v.by})
		if err != nil {
			t.Fatal(err)
		}
		if got := groupRows(v.got); got != spendtest.Format(want.Rows) {
			t.Errorf("%s:\n%s\nstore says\n%s", v.name, got, spendtest.Format(want.Rows))
		}
	}
	// Savings: the baseline is every request at mini's prices.
	wantBase := float64(st.Usage.Input)*3000/1e6 + float64(st.Usage.Output+st.Usage.Thinking)*6000/1e6
	if tot := d.Summary.Totals; math.Abs(tot.BaselineCostUSD-wantBase) > 1e-6 || math.Abs(tot.SavingsUSD-(tot.BaselineCostUSD-tot.CostUSD)) > 1e-9 {
		t.Errorf("baseline $%.6f savings $%.6f, want baseline $%.6f", tot.BaselineCostUSD, tot.SavingsUSD, wantBase)
	}
	if d.Summary.Baseline.Model != "mini" || !strings.Contains(d.Summary.Baseline.Note, "estimate") || d.Summary.Latency.P50 == nil {
		t.Errorf("baseline %+v latency %+v", d.Summary.Baseline, d.Summary.Latency)
	}
}

func TestUsageAPIFilters(t *testing.T) {
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""))
	r := startOps(t, fake, opsOpts{})
	traffic(t, 30, r)
	r.waitRequests(30)
	rep := r.srv.deps.Store.(spend.Reporter)
	today := time.Now().UTC().Format("2006-01-02")
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format("2006-01-02")
	tests := []struct {
		query string
		q     spend.Query
	}{
		{"key=team-b", spend.Query{KeyID: "team-b"}},
		{"model=mini", spend.Query{Model: "mini"}},
		{"key=team-a&model=flash", spend.Query{KeyID: "team-a", Model: "flash"}},
		{"from=" + tomorrow, spend.Query{From: mustDay(tomorrow)}},
		{"from=" + today + "&to=" + tomorrow, spend.Query{From: mustDay(today), To: mustDay(tomorrow)}},
	}
	for _, tc := range tests {
		var s Summary
		r.usage("/v1/usage/summary?"+tc.query, &s)
		tc.q.GroupBy = spend.ByTotal
		want, err := rep.Report(context.Background(), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		w := spend.Sum("", want.Rows)
		if s.Totals.Requests != w.Requests || spend.Nanos(s.Totals.CostUSD) != spend.Nanos(w.CostUSD) {
			t.Errorf("%s: %d requests $%.6f, store %d $%.6f", tc.query, s.Totals.Requests, s.Totals.CostUSD, w.Requests, w.CostUSD)
		}
	}
	for _, bad := range []string{"/v1/usage/summary?from=yesterday", "/v1/usage/series?granularity=week", "/v1/usage/groups?by=color",
		"/v1/usage/summary?from=2026-02-01&to=2026-01-01"} {
		if status, _, body := r.get(bad, bearerHdr(adminKey)...); status != 400 {
			t.Errorf("GET %s: %d %s", bad, status, body)
		}
	}
}

func mustDay(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func groupRows(g Groups) string {
	rows := make([]spend.Row, len(g.Rows))
	for i, r := range g.Rows {
		rows[i] = r.Row
	}
	return spendtest.Format(rows)
}

// TestTwoReplicasOnePostgres: two gateways write to one PostgreSQL store;
// each one's usage API shows all the traffic, once, exactly as the
// upstream reported it.
func TestTwoReplicasOnePostgres(t *testing.T) {
	pg := withPassword(t, spendtest.PostgresURL(t))
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""))
	a := startOps(t, fake, opsOpts{pgURL: pg})
	b := startOps(t, fake, opsOpts{pgURL: pg})
	const n = 200
	traffic(t, n, a, b)
	a.waitRequests(n) // both replicas' records, through a's store
	b.waitRequests(n)
	st := fakeStats(t, fake)
	for name, g := range map[string]*real{"replica a": a, "replica b": b} {
		var d Dashboard
		g.usage("/v1/usage/dashboard?granularity=hour", &d)
		checkAgainstUpstream(t, d.Summary, st, n, name)
		var keys int64
		for _, k := range d.TopKeys.Rows {
			keys += k.Requests
		}
		if keys != n || len(d.TopKeys.Rows) != 2 {
			t.Errorf("%s: top keys %+v", name, d.TopKeys.Rows)
		}
	}
}

// TestRateLimitTwoReplicas sends 200 req/s for two seconds through two
// gateways sharing Redis, with a per-key limit of 120 requests per
// minute: they accept the window's allowance, not one each.
func TestRateLimitTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("two seconds of load")
	}
	redis := "redis://" + miniredis.RunT(t).Addr() + "/0"
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""))
	extra := "rate_limits: {per_key: {requests_per_minute: 120}}\n"
	a := startOps(t, fake, opsOpts{redisURL: redis, extra: extra})
	b := startOps(t, fake, opsOpts{redisURL: redis, extra: extra})
	start := time.Now()
	codes := paced(t, 200, 2*time.Second, a, b)
	// A window boundary inside the run lets the new window admit its
	// fraction of the limit: 2 s of 60 s, 4 more (more if the machine
	// stretched the run).
	most := 120 + int(120*time.Since(start).Seconds()/60)
	// A machine loaded enough to push a Redis call past its timeout opens
	// the breaker, and each replica then admits up to its share locally,
	// as documented for outages: one more limit at most.
	if outages := redisOutages(t, a) + redisOutages(t, b); outages > 0 {
		t.Logf("%d Redis calls timed out under load: allowing one more limit", outages)
		most += 120
	}
	if codes[200] < 120 || codes[200] > most || codes[200]+codes[429] != 400 {
		t.Errorf("statuses %v: want 120 to %d accepted of 400, the rest 429", codes, most)
	}
	if st := fakeStats(t, fake); st.Calls != codes[200] {
		t.Errorf("%d upstream calls for %d accepted requests", st.Calls, codes[200])
	}
}

// redisOutages is llmrouter_redis_outages_total on g's /metrics.
func redisOutages(t *testing.T, g *real) int {
	t.Helper()
	_, _, metrics := g.get("/metrics", bearerHdr(keyA)...)
	for _, line := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, "llmrouter_redis_outages_total "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("outages %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("/metrics has no llmrouter_redis_outages_total")
	return 0
}

// paced sends rate requests per second for d, alternating gateways, and
// counts the statuses.
func paced(t *testing.T, rate int, d time.Duration, gws ...*real) map[int]int {
	t.Helper()
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	n := int(d.Seconds() * float64(rate))
	for i := range n {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, _ := gws[i%len(gws)].post("/v1/chat/completions", chatBody("flash"), bearerHdr(keyA)...)
			mu.Lock()
			codes[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}
