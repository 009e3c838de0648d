package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter/bench/internal/loadgen"
	"github.com/llmrouter/llmrouter/bench/internal/proc"
	"github.com/llmrouter/llmrouter/bench/internal/stats"
)

// The gateway's targets at 1,000 req/s: its own overhead must stay small next to a model call.
const (
	addedP50Target = 100 * time.Microsecond
	addedP99Target = 2 * time.Millisecond
)

// endpoint is one side of the comparison: the fake upstream directly, or
// the gateway in front of it.
type endpoint struct {
	name  string
	url   string // .../v1/chat/completions
	model string
	pid   int // process to read CPU and RSS from (gateway only)
}

type phase struct {
	res  loadgen.Result
	sum  stats.Summary
	cpu  time.Duration
	rss  int64
	wall time.Duration
	ttft stats.Summary
}

// gwBench holds one gateway benchmark's processes and clients.
type gwBench struct {
	b       *bench
	client  *http.Client
	queries [][]byte // JSON-encoded user messages
	direct  endpoint
	gw      endpoint
	proxy   endpoint // the bare reverse proxy: the floor
	via     string
	next    atomic.Uint64
	// maxTokens is each request's max_tokens (0: 64, a short answer).
	maxTokens int
}

func (b *bench) gateway(ctx context.Context) (*Section, error) {
	s := &Section{Title: "Gateway overhead"}
	g, stop, err := b.startGatewayBench(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	s.Intro = "An open-loop Go load generator (constant arrival rate, latency measured from each request's scheduled send time, bounded count and duration, loopback only) " +
		"sends OpenAI chat completions with real MMLU test questions three ways, one after another at each rate in the same run: straight to the fake upstream (`upstreamfake`, OpenAI protocol, no added latency); " +
		"through a bare reverse proxy (the standard library's `httputil.ReverseProxy` with a pooled transport, doing no work of its own: the floor, the cost of one more loopback HTTP hop between processes on this machine); " +
		"and through the gateway. Gateway requests use `model: \"router\"`, so each one is scored by the trained SFT+DPO classifier, mapped by the hybrid policy, " +
		"forwarded by the OpenAI-compatible client, recorded in the SQLite spend store and logged (one JSON line per request, to a file). " +
		"The load generator, the fake upstream and the proxy or gateway are separate processes sharing the machine's 2 cores. " +
		"Gateway: " + g.via + "; CPU time and RSS are read from /proc/<pid>."
	rates := []float64{500, 1000, 2000}
	win := b.dur(6*time.Second, 100*time.Millisecond)
	lat, res := latencyTable(), resourceTable()
	results := map[float64][3]phase{}
	for _, rate := range rates {
		var ph [3]phase
		for i, e := range g.endpoints() {
			if ph[i], err = g.openLoop(ctx, e, rate, win); err != nil {
				return nil, err
			}
		}
		results[rate] = ph
		label := fmt.Sprintf("%.0f req/s", rate)
		lat.add(latencyRow(label, ph)...)
		res.add(resourceRow(label, ph)...)
		b.opts.log.Info("gateway load", "rate", rate, "direct_p50", ph[0].sum.P50, "proxy_p50", ph[1].sum.P50, "gateway_p50", ph[2].sum.P50, "gateway_p99", ph[2].sum.P99, "errors", ph[2].res.Errors)
	}
	b.opts.log.Debug("gateway: saturation")
	sat, err := g.saturation(ctx, b.dur(4*time.Second, 100*time.Millisecond))
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("saturation (%d closed-loop clients): direct %.0f, bare proxy %.0f, gateway %.0f req/s", satWorkers,
		sat[0].res.Throughput(), sat[1].res.Throughput(), sat[2].res.Throughput())
	lat.add(latencyRow(label, sat)...)
	res.add(resourceRow(label, sat)...)
	s.Tables = append(s.Tables, lat, res)
	b.opts.log.Debug("gateway: streaming")
	st, err := g.streaming(ctx, b.dur(4*time.Second, 100*time.Millisecond))
	if err != nil {
		return nil, err
	}
	s.Tables = append(s.Tables, streamTable(st))
	var mem *memoryRun
	if !b.opts.smoke {
		if mem, err = g.memory(ctx, 60*time.Second, 1000); err != nil {
			return nil, err
		}
		s.Tables = append(s.Tables, mem.table())
	}
	s.Tables = append(s.Tables, gatewayTargets(results, mem, b.opts.smoke))
	s.note("Added latency is proxy or gateway minus direct at the same percentile, all measured in this run; \"beyond the floor\" is gateway minus bare proxy, the part the gateway's own work adds. Negative values are noise. Error rate counts transport errors, timeouts (10 s) and non-200 answers.")
	s.note("The memory run comes last, after the overload phases, so it starts from the heap they left behind; \"flat\" asks only that RSS does not grow during it.")
	s.note("Reference points (published, not measured here): LiteLLM's docs report 2–12 ms median overhead; Bifrost claims 11 µs at 5k RPS on 4 vCPUs.")
	if b.opts.smoke {
		s.note("The 60 s memory run is part of the full benchmark only.")
	}
	return s, nil
}

// endpoints in measuring order: the fake upstream, the bare proxy, the
// gateway.
func (g *gwBench) endpoints() [3]endpoint { return [3]endpoint{g.direct, g.proxy, g.gw} }

func latencyTable() Table {
	return Table{Header: []string{"offered load", "direct p50", "direct p99", "bare proxy p50", "bare proxy p99", "gateway p50", "gateway p99",
		"added by bare proxy (floor) p50 / p99", "added by gateway p50 / p99", "gateway beyond the floor p50 / p99", "errors direct / proxy / gateway"}}
}

func latencyRow(label string, ph [3]phase) []string {
	d, p, w := ph[0].sum, ph[1].sum, ph[2].sum
	pair := func(a, b time.Duration) string { return dur(a) + " / " + dur(b) }
	return []string{label, dur(d.P50), dur(d.P99), dur(p.P50), dur(p.P99), dur(w.P50), dur(w.P99),
		pair(p.P50-d.P50, p.P99-d.P99), pair(w.P50-d.P50, w.P99-d.P99), pair(w.P50-p.P50, w.P99-p.P99),
		fmt.Sprintf("%s / %s / %s", pct(ph[0].res.ErrorRate()), pct(ph[1].res.ErrorRate()), pct(ph[2].res.ErrorRate()))}
}

func resourceTable() Table {
	return Table{Caption: "CPU and memory in the same runs: cores busy (CPU time ÷ wall time) and CPU time per request of the process under test, against the fake upstream's own in the direct run.",
		Header: []string{"offered load", "CPU per request: fake upstream (direct) / bare proxy / gateway", "cores busy: bare proxy / gateway", "gateway RSS"}}
}

func resourceRow(label string, ph [3]phase) []string {
	per := func(p phase) string { return dur(p.cpu / time.Duration(max(1, p.res.Sent))) }
	cores := func(p phase) string { return f(p.cpu.Seconds()/max(p.wall.Seconds(), 1e-9), 2) }
	return []string{label, per(ph[0]) + " / " + per(ph[1]) + " / " + per(ph[2]), cores(ph[1]) + " / " + cores(ph[2]), mib(ph[2].rss)}
}

// startGatewayBench starts the fake upstream and the gateway processes and
// prepares the request bodies; stop ends both.
func (b *bench) startGatewayBench(ctx context.Context) (*gwBench, func(), error) {
	d, modelDir, err := b.mmluClassifier(ctx, "gateway_model")
	if err != nil {
		return nil, nil, err
	}
	b.opts.log.Debug("gateway: starting the fake upstream")
	fake, fa, err := startServing(ctx, "fake", fakeReq{})
	if err != nil {
		return nil, nil, err
	}
	proxy, pa, err := startServing(ctx, "proxy", proxyReq{Upstream: fa.URL})
	if err != nil {
		fake.kill()
		return nil, nil, err
	}
	kill := func() { proxy.kill(); fake.kill() }
	g := &gwBench{b: b, client: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second, DisableCompression: true}}}
	g.direct = endpoint{name: "direct", url: fa.URL + "/v1/chat/completions", model: "fake-cheap", pid: fa.PID}
	g.proxy = endpoint{name: "bare proxy", url: pa.URL + "/v1/chat/completions", model: "fake-cheap", pid: pa.PID}
	for _, it := range d.test[:min(64, len(d.test))] {
		q, _ := json.Marshal(it.Problem)
		g.queries = append(g.queries, q)
	}
	cfgPath := filepath.Join(b.opts.workDir, "router.yaml")
	if err := os.WriteFile(cfgPath, []byte(gatewayConfig(fa.URL, modelDir, filepath.Join(b.opts.workDir, "spend.db"))), 0o644); err != nil {
		kill()
		return nil, nil, err
	}
	b.opts.log.Debug("gateway: launching")
	gw, via, err := b.launchGateway(ctx, cfgPath)
	if err != nil {
		kill()
		return nil, nil, err
	}
	g.gw, g.via = endpoint{name: "gateway", url: gw.url + "/v1/chat/completions", model: "router", pid: gw.pid}, via
	stop := func() {
		// Close our idle connections first: the server's graceful shutdown
		// waits 5 s for connections that were dialled but never used.
		g.client.CloseIdleConnections()
		b.opts.log.Debug("gateway: stopping the gateway")
		gw.stop()
		b.opts.log.Debug("gateway: stopping the proxy and the fake upstream")
		_ = proxy.wait()
		_ = fake.wait()
		b.opts.log.Debug("gateway: stopped")
	}
	b.opts.log.Debug("gateway: warming up")
	if err := g.warmUp(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return g, stop, nil
}

// startServing starts a child that serves HTTP and answers with its
// address.
func startServing(ctx context.Context, job string, req any) (*child, addrResp, error) {
	var a addrResp
	c, err := startChild(ctx, job, req, nil)
	if err != nil {
		return nil, a, err
	}
	if err := c.read(&a); err != nil {
		c.kill()
		return nil, a, err
	}
	return c, a, nil
}

func gatewayConfig(fakeURL, modelDir, spendDB string) string {
	return fmt.Sprintf(`# written by the benchmark
listen: "127.0.0.1:0"
log_format: json
models:
  fake-cheap:
    provider: openai
    base_url: %[1]s/v1
    api_key_env: %[4]s
    price: {input: 0.30, output: 2.50}
    context_window: 1000000
  fake-strong:
    provider: openai
    base_url: %[1]s/v1
    api_key_env: %[4]s
    price: {input: 1.25, output: 10.00}
    context_window: 1000000
router:
  model_path: %[2]s
policy_mapping:
  cheap_model: fake-cheap
  strong_model: fake-strong
spend:
  sqlite_path: %[3]s
`, fakeURL, modelDir, spendDB, fakeKeyEnv)
}

// body is one chat request for e with the next query in turn.
func (g *gwBench) body(e endpoint, stream bool) []byte {
	q := g.queries[g.next.Add(1)%uint64(len(g.queries))]
	var b bytes.Buffer
	mt := g.maxTokens
	if mt == 0 {
		mt = 64
	}
	fmt.Fprintf(&b, `{"model":%q,"max_tokens":%d,"messages":[{"role":"user","content":%s}]`, e.model, mt, q)
	if stream {
		b.WriteString(`,"stream":true,"stream_options":{"include_usage":true}`)
	}
	b.WriteString("}")
	return b.Bytes()
}

func (g *gwBench) post(ctx context.Context, e endpoint, stream bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(g.body(e, stream)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+fakeKey)
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		resp.Body.Close()
		return nil, fmt.Errorf("%s: status %d: %s", e.name, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return resp, nil
}

// do sends one non-streamed request and reads the whole answer.
func (g *gwBench) do(e endpoint) loadgen.Do {
	return func(ctx context.Context) error {
		resp, err := g.post(ctx, e, false)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
}

// warmUp opens connections, checks that the gateway really routes, and
// lets both sides reach steady state.
func (g *gwBench) warmUp(ctx context.Context) error {
	resp, err := g.post(ctx, g.gw, false)
	if err != nil {
		return fmt.Errorf("gateway warm-up: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Header.Get("X-Router-Score") == "" || resp.Header.Get("X-Router-Model") == "" {
		return fmt.Errorf("gateway answered without X-Router-Score/X-Router-Model: the request was not routed")
	}
	eps := g.endpoints()
	return g.closedWarmUp(ctx, eps[:], g.b.size(2000, 20))
}

// closedWarmUp sends n requests to each endpoint from 8 closed-loop
// workers and fails on any error, so that measured phases start warm.
func (g *gwBench) closedWarmUp(ctx context.Context, eps []endpoint, n int) error {
	for _, e := range eps {
		res, err := loadgen.ClosedLoop(ctx, 8, n, 2*time.Second, 10*time.Second, g.do(e))
		if err != nil {
			return err
		}
		if res.Errors > 0 {
			return fmt.Errorf("%s warm-up: %d of %d requests failed, first: %v", e.name, res.Errors, res.Sent, res.FirstError)
		}
	}
	return nil
}

// measure runs load against e, reading e's process CPU and RSS around it.
func (g *gwBench) measure(e endpoint, load func() (loadgen.Result, error)) (phase, error) {
	var p phase
	var before proc.Usage
	var err error
	if e.pid != 0 {
		if before, err = proc.Read(e.pid); err != nil {
			return p, err
		}
	}
	t := time.Now()
	if p.res, err = load(); err != nil {
		return p, err
	}
	p.wall = time.Since(t)
	p.sum = stats.Summarize(p.res.Latencies)
	if e.pid != 0 {
		after, err := proc.Read(e.pid)
		if err != nil {
			return p, err
		}
		p.cpu, p.rss = after.CPU-before.CPU, after.RSS
	}
	if p.res.FirstError != nil {
		g.b.opts.log.Warn("requests failed", "endpoint", e.name, "errors", p.res.Errors, "first", p.res.FirstError)
	}
	return p, nil
}

func (g *gwBench) openLoop(ctx context.Context, e endpoint, rate float64, win time.Duration) (phase, error) {
	return g.measure(e, func() (loadgen.Result, error) {
		return loadgen.OpenLoop(ctx, rate, int(rate*win.Seconds()), win+time.Second, 10*time.Second, g.do(e))
	})
}

const satWorkers = 32

func (g *gwBench) saturation(ctx context.Context, win time.Duration) ([3]phase, error) {
	var out [3]phase
	for i, e := range g.endpoints() {
		p, err := g.measure(e, func() (loadgen.Result, error) {
			return loadgen.ClosedLoop(ctx, satWorkers, 1<<30, win, 10*time.Second, g.do(e))
		})
		if err != nil {
			return out, err
		}
		out[i] = p
	}
	return out, nil
}

// streaming sends streamed requests at a modest rate and times the first
// content event (time to first token) as well as the whole stream.
func (g *gwBench) streaming(ctx context.Context, win time.Duration) ([2]phase, error) {
	var out [2]phase
	for i, e := range []endpoint{g.direct, g.gw} {
		p, err := g.streamPhase(ctx, e, 200, win)
		if err != nil {
			return out, err
		}
		out[i] = p
	}
	return out, nil
}

// streamPhase sends streamed requests to e at rate for win and times the
// first content event and the whole stream.
func (g *gwBench) streamPhase(ctx context.Context, e endpoint, rate float64, win time.Duration) (phase, error) {
	var mu sync.Mutex
	var ttft []time.Duration
	do := func(ctx context.Context) error {
		t := time.Now()
		resp, err := g.post(ctx, e, true)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		first := true
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 && first && bytes.HasPrefix(line, []byte("data: {")) && bytes.Contains(line, []byte(`"content"`)) {
				first = false
				mu.Lock()
				ttft = append(ttft, time.Since(t))
				mu.Unlock()
			}
			if bytes.HasPrefix(line, []byte(`data: {"error"`)) {
				return fmt.Errorf("%s: the stream ended with an error event: %s", e.name, bytes.TrimSpace(line))
			}
			if err == io.EOF {
				if first {
					return fmt.Errorf("%s: stream ended without a content event", e.name)
				}
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	p, err := g.measure(e, func() (loadgen.Result, error) {
		return loadgen.OpenLoop(ctx, rate, int(rate*win.Seconds()), win+time.Second, 10*time.Second, do)
	})
	if err != nil {
		return p, err
	}
	p.ttft = stats.Summarize(ttft)
	return p, nil
}

func streamTable(st [2]phase) Table {
	d, w := st[0], st[1]
	t := Table{Caption: "Streaming at 200 req/s: time to first token (the first SSE event carrying content) and the whole stream.",
		Header: []string{"path", "TTFT p50", "TTFT p99", "stream p50", "stream p99", "errors", "added TTFT p50", "added TTFT p99"}}
	t.add("direct", dur(d.ttft.P50), dur(d.ttft.P99), dur(d.sum.P50), dur(d.sum.P99), pct(d.res.ErrorRate()), "—", "—")
	t.add("gateway", dur(w.ttft.P50), dur(w.ttft.P99), dur(w.sum.P50), dur(w.sum.P99), pct(w.res.ErrorRate()),
		dur(w.ttft.P50-d.ttft.P50), dur(w.ttft.P99-d.ttft.P99))
	return t
}

func gatewayTargets(res map[float64][3]phase, mem *memoryRun, smoke bool) Table {
	t := Table{Caption: "Targets, on this 2-core machine:", Header: []string{"target", "measured", "target met?"}}
	ok := func(b bool) string { return met(b && !smoke) }
	if r, found := res[1000]; found {
		a50, a99 := r[2].sum.P50-r[0].sum.P50, r[2].sum.P99-r[0].sum.P99
		f50 := r[1].sum.P50 - r[0].sum.P50
		t.add("added median ≤ 100 µs at 1,000 req/s", fmt.Sprintf("%s (a bare reverse proxy adds %s here, so %s is the gateway's own work)", dur(a50), dur(f50), dur(a50-f50)), ok(a50 <= addedP50Target))
		t.add("added p99 ≤ 2 ms at 1,000 req/s", dur(a99), ok(a99 <= addedP99Target))
	}
	if r, found := res[2000]; found {
		w := r[2].res
		t.add("no errors at 2,000 req/s", fmt.Sprintf("%d errors of %d requests", w.Errors, w.Sent), ok(w.Errors == 0 && w.Sent > 0))
	}
	if mem != nil {
		t.add("memory flat over a 60 s run (end RSS within 10% of the RSS after 10 s)", mem.summary(), ok(mem.flat()))
	} else {
		t.add("memory flat over a 60 s run", "not measured in smoke mode", "—")
	}
	return t
}
