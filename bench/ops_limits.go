package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/ratelimit"
	"github.com/llmrouter/llmrouter/internal/server"
)

// opsClientKey is the key the rate-limit load is sent with.
const opsClientKey = "sk-bench-client"

// limitRun is one rate-limit scenario: two replicas sharing Redis, open
// loop at rate requests per second for d, one key limited to limit per
// minute.
type limitRun struct {
	rate  int
	d     time.Duration
	limit int64
}

// rateLimits measures how precisely a per-key limit holds across two
// replicas under load, and what an admission costs.
func (b *bench) rateLimits(ctx context.Context) ([]Table, error) {
	rdb, where, stop, err := benchRedis()
	if err != nil {
		return nil, err
	}
	defer stop()
	runs := []limitRun{{200, 10 * time.Second, 600}, {1000, 10 * time.Second, 1200}}
	if b.opts.smoke {
		runs = []limitRun{{50, time.Second, 20}}
	}
	t := Table{Caption: "Per-key rate limit across two replicas sharing Redis (" + where + "), open loop over loopback HTTP",
		Header: []string{"offered", "limit", "sent", "accepted", "refused (429)", "other", "allowance", "accepted − allowance"}}
	for _, r := range runs {
		row, err := runLimit(ctx, rdb, r)
		if err != nil {
			return nil, err
		}
		t.add(row...)
	}
	cost := Table{Caption: "One admission (requests and tokens, key and global scopes), median over sequential calls",
		Header: []string{"counter", "per admission"}}
	for _, c := range []struct {
		name string
		st   ratelimit.Store
	}{{"in memory (one replica)", ratelimit.NewMemory()}, {"Redis (" + where + ")", ratelimit.NewRedis(rdb, randomPrefix())}} {
		l := ratelimit.New(ratelimit.Config{Global: ratelimit.Limit{RequestsPerMinute: 1 << 40, TokensPerMinute: 1 << 50},
			PerKey: ratelimit.Limit{RequestsPerMinute: 1 << 40, TokensPerMinute: 1 << 50}}, c.st)
		n := 20000
		if b.opts.smoke {
			n = 200
		}
		d, err := timeCalls(n, func() error { _, err := l.Admit(ctx, "k", 500); return err })
		if err != nil {
			return nil, err
		}
		cost.add(c.name, d)
	}
	return []Table{t, cost}, nil
}

// benchRedis is LLMROUTER_BENCH_REDIS_URL or LLMROUTER_TEST_REDIS_URL,
// else an in-process miniredis.
func benchRedis() (goredis.UniversalClient, string, func(), error) {
	url := os.Getenv("LLMROUTER_BENCH_REDIS_URL")
	if url == "" {
		url = os.Getenv("LLMROUTER_TEST_REDIS_URL")
	}
	if url != "" {
		opt, err := goredis.ParseURL(url)
		if err != nil {
			return nil, "", nil, errors.New("LLMROUTER_BENCH_REDIS_URL: cannot parse it")
		}
		rdb := goredis.NewClient(opt)
		return rdb, "redis-server on loopback", func() { rdb.Close() }, nil
	}
	mr, err := miniredis.Run()
	if err != nil {
		return nil, "", nil, err
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: mr.Addr()})
	return rdb, "miniredis, in process", func() { rdb.Close(); mr.Close() }, nil
}

func randomPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "bench-" + hex.EncodeToString(b[:])
}

// runLimit serves two gateways sharing rdb's counters and sends r's load.
func runLimit(ctx context.Context, rdb goredis.UniversalClient, r limitRun) ([]string, error) {
	prefix := randomPrefix()
	var urls []string
	for range 2 {
		h, err := limitGateway(rdb, prefix, r.limit)
		if err != nil {
			return nil, err
		}
		ts := httptest.NewServer(h)
		defer ts.Close()
		urls = append(urls, ts.URL)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}, Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	n := int(r.d.Seconds() * float64(r.rate))
	interval := time.Second / time.Duration(r.rate)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := post(ctx, hc, urls[i%2])
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	end := time.Now()
	wg.Wait()
	allow := allowance(start, end, r.limit)
	other := n - codes[200] - codes[429]
	return []string{fmt.Sprintf("%d req/s for %s", r.rate, r.d), fmt.Sprintf("%d/min", r.limit), fmt.Sprint(n), fmt.Sprint(codes[200]),
		fmt.Sprint(codes[429]), fmt.Sprint(other), fmt.Sprint(allow), fmt.Sprintf("%+d", int64(codes[200])-allow)}, nil
}

// allowance is the most the sliding window admits between start and end
// when the load exceeds the limit throughout: the limit, plus, once a
// minute boundary passes, the part of it the previous window's fading
// count frees by end.
func allowance(start, end time.Time, limit int64) int64 {
	b := end.Truncate(time.Minute)
	if !b.After(start) {
		return limit
	}
	return limit + int64(float64(limit)*end.Sub(b).Seconds()/60)
}

func post(ctx context.Context, hc *http.Client, url string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions",
		strings.NewReader(`{"model":"gemini-2.5-flash","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+opsClientKey)
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// limitGateway is a replica: one key limited to limit requests a minute,
// counted in rdb under prefix, answering from an instant upstream.
func limitGateway(rdb goredis.UniversalClient, prefix string, limit int64) (http.Handler, error) {
	yaml := fmt.Sprintf("auth: {keys: [{id: load, sha256: %s}]}\nrate_limits: {per_key: {requests_per_minute: %d}}\nlog_flush_interval: 0s\n",
		server.HashKey(opsClientKey), limit)
	cfg, err := server.ParseConfig([]byte(yaml), "bench-limits.yaml")
	if err != nil {
		return nil, err
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		return nil, err
	}
	srv, err := server.New(cfg, server.Deps{Upstreams: instantUpstreams{cat}, Limiter: ratelimit.New(cfg.RateLimits, ratelimit.NewRedis(rdb, prefix))})
	if err != nil {
		return nil, err
	}
	return srv.Handler(), nil
}

// instantUpstreams answers every model at once.
type instantUpstreams struct{ cat *catalog.Catalogue }

func (u instantUpstreams) Get(name string) (provider.Provider, catalog.Model, error) {
	m, err := u.cat.Lookup(name)
	return instant{}, m, err
}

type instant struct{}

func (instant) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	return &provider.Response{Text: "ok", FinishReason: "stop", Usage: provider.Usage{InputTokens: 5, OutputTokens: 1}}, nil
}

func (instant) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("the rate-limit bench does not stream")
}
