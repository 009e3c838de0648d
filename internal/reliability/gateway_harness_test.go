package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/server"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
	"github.com/llmrouter/llmrouter/internal/syncbuf"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

const (
	gatewayKey  = "gw-test-key-4f9a2c7e1b"
	upstreamKey = "up-test-key-8d3e6a0c5f"
	// pricePerM makes one token cost $0.001, so costs are easy to read.
	pricePerM = 1000.0
)

// gatewayYAML is a production-shaped router.yaml: two Gemini models on the
// fake (base URLs only here), a fallback between them, one hashed gateway
// key, SQLite spend under dir, and the given extra settings appended.
func gatewayYAML(fake *upstreamfake.Server, dbPath, extra string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:0"
log_format: json
auth:
  keys:
    - {id: team-a, sha256: %s}
models:
  mini:
    provider: gemini
    upstream_model: gemini-2.5-flash
    base_url: %s
    price: {input: %v, output: %v}
    context_window: 100000
  maxi:
    provider: gemini
    upstream_model: gemini-2.5-pro
    base_url: %s
    price: {input: %v, output: %v}
    context_window: 100000
policy_mapping:
  cheap_model: mini
  strong_model: maxi
fallbacks:
  mini: [maxi]
  maxi: [mini]
retry: {max_attempts: 2, base_delay: 1ms, max_delay: 20ms}
spend:
  sqlite_path: %s
%s`, server.HashKey(gatewayKey), fake.URL, pricePerM, pricePerM, fake.URL, pricePerM, pricePerM, dbPath, extra)
}

// gateway is one in-process gateway built by server.Open, the same wiring
// as `llmrouter serve`, on a real loopback listener.
type gateway struct {
	url    string
	db     string
	logs   *syncbuf.Buffer
	hc     *http.Client // the gateway's upstream client
	stop   func()
	once   sync.Once
	client *http.Client
}

// startGateway opens and serves a gateway; stop (also at cleanup) drains
// it, closes its stores and its idle upstream connections.
func startGateway(t testing.TB, yaml string, env map[string]string) *gateway {
	t.Helper()
	cfg, err := server.ParseConfig([]byte(yaml), "router.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{db: cfg.Spend.SQLitePath, logs: &syncbuf.Buffer{},
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	log := slog.New(slog.NewJSONHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	getenv := func(k string) string { return env[k] }
	srv, closeFn, err := server.Open(context.Background(), cfg, server.OpenOptions{Getenv: getenv, Logger: log, HTTPClient: g.hc})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	g.url = "http://" + ln.Addr().String()
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	g.client = &http.Client{Transport: tr, Timeout: 60 * time.Second}
	g.stop = func() {
		g.once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("serve: %v", err)
			}
			if err := closeFn(); err != nil {
				t.Errorf("close gateway: %v", err)
			}
			tr.CloseIdleConnections()
			g.hc.CloseIdleConnections()
		})
	}
	t.Cleanup(g.stop)
	return g
}

// do sends one request with optional header pairs; a transport error is
// status 0 with the error text as body.
func (g *gateway) do(method, path, body string, hdr ...string) (int, http.Header, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, g.url+path, rd)
	if err != nil {
		return 0, nil, err.Error()
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, nil, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func authHdr() []string { return []string{"Authorization", "Bearer " + gatewayKey} }

// spent sums a stopped gateway's SQLite records.
func spent(t testing.TB, db string) spend.Row {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Summary(context.Background(), spend.Query{GroupBy: spend.ByModel})
	if err != nil {
		t.Fatal(err)
	}
	var sum spend.Row
	for _, r := range rows {
		sum.Requests += r.Requests
		sum.Errors += r.Errors
		sum.InputTokens += r.InputTokens
		sum.OutputTokens += r.OutputTokens
		sum.ThinkingTokens += r.ThinkingTokens
		sum.CostUSD += r.CostUSD
	}
	return sum
}
