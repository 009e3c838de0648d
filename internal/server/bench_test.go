package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/providertest"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// benchServer is the gateway with an instant in-process upstream, budgets
// on the in-memory counter and a no-op store: what is measured is the
// gateway's own work per request (parse, route, reserve, convert, encode,
// log, metrics).
func benchServer(b *testing.B, yaml string) *Server {
	b.Helper()
	cfg, deps := benchSetup(b, yaml)
	deps.Cascade = constVerifier(0.3)
	srv, err := New(cfg, deps)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// benchSetup parses baseYAML+yaml and builds what every gateway benchmark
// shares: one instant upstream for both models, a router that always
// picks cheap, budgets on the in-memory counter, a no-op store and a
// discarding logger.
func benchSetup(b *testing.B, yaml string) (*Config, Deps) {
	b.Helper()
	cfg, err := ParseConfig([]byte(baseYAML+yaml), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cat, _ := cfg.Catalogue()
	budgets, err := spend.NewBudgets(spend.BudgetConfig{GlobalUSD: 1e9}, spend.NewMemoryCounter())
	if err != nil {
		b.Fatal(err)
	}
	up := &providertest.Fake{CompleteFunc: func(ctx context.Context, req *provider.Request) (*provider.Response, error) {
		return &provider.Response{Text: "Paris is the capital of France.", FinishReason: "stop", Usage: provider.Usage{InputTokens: 20, OutputTokens: 8}}, nil
	}}
	return cfg, Deps{
		Upstreams: &mapUpstreams{cat: cat, ps: map[string]provider.Provider{"cheap": up, "strong": up}},
		Router:    &fakeRouter{score: 0.3, threshold: 0.5},
		Budgets:   budgets,
		Store:     &nopStore{},
		Logger:    slog.New(slog.NewJSONHandler(discard{}, nil)),
	}
}

// constVerifier scores every answer the same, without remembering it.
type constVerifier float64

func (v constVerifier) Score(string, string) float64 { return float64(v) }
func (constVerifier) Threshold() float64             { return 0.5 }
func (constVerifier) SkipThreshold() (float64, bool) { return 0, false }

type nopStore struct{ memStore }

func (*nopStore) Record(context.Context, spend.Record) error { return nil }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkChatCompletion measures the in-process cost of one routed,
// non-streamed request through the full handler; the cascades make one
// upstream call (accepted) or two (escalated).
func BenchmarkChatCompletion(b *testing.B) {
	for _, tc := range []struct{ name, model string }{{"direct", "cheap"}, {"routed", "router"},
		{"cascade-accepted", "router-cascade-1"}, {"cascade-escalated", "router-cascade-0"}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := benchServer(b, "")
			body := `{"model":"` + tc.model + `","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"What is the capital of France?"}],"max_tokens":64}`
			h := srv.Handler()
			b.ReportAllocs()
			b.ResetTimer()
			loopChat(b, h, body)
		})
	}
}

// loopChat posts body to h's chat completions endpoint once per b.Loop
// iteration, failing on any status but 200.
func loopChat(b *testing.B, h http.Handler, body string) {
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
