// Package upstreamfake is a fault-injecting fake of the two upstream wire
// protocols llmrouter speaks: Gemini's native REST API (generateContent,
// streamGenerateContent with alt=sse) and OpenAI-compatible chat
// completions (plain and streamed). Tests, benchmarks and crash tests
// point a provider, the oracle or the gateway at it, script per-call
// faults (latency, trickle, 429/5xx, resets, hangs, bad JSON, broken
// streams, missing usage, enormous bodies) and then assert on exact,
// thread-safe counters: calls per model and prompt, faults applied,
// concurrency high-water mark and the token usage it reported.
//
// Answers and token counts are deterministic (a token is a
// whitespace-separated word), so tests can assert exact spend.
package upstreamfake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Server is a running fake upstream. Its methods are safe for concurrent use.
type Server struct {
	// URL is the root, e.g. http://127.0.0.1:40123.
	URL string
	// GeminiBase is URL + "/v1beta" (append "/models/{m}:generateContent").
	GeminiBase string
	// OpenAIBase is URL + "/v1" (append "/chat/completions").
	OpenAIBase string

	cfg     config
	srv     *http.Server
	limiter *rate.Limiter

	closing   chan struct{}
	closeOnce sync.Once
	served    chan struct{} // closed when http.Server.Serve returns
	serveErr  error         // its error, unless it was ErrServerClosed

	mu     sync.Mutex // guards closed and wg.Add against Close's wg.Wait
	closed bool
	wg     sync.WaitGroup

	stats statsState
}

type config struct {
	script     Script
	answer     Answerer
	latency    time.Duration
	rps        float64
	burst      int
	apiKey     string
	models     map[string]bool
	chunkWords int
	maxBody    int64
	// countersOnly drops the per-call log and per-prompt counts (soak).
	countersOnly bool
}

// Option configures a Server.
type Option func(*config)

// WithScript sets the per-call fault script (default: no faults).
func WithScript(s Script) Option { return func(c *config) { c.script = s } }

// WithAnswer sets how answers are computed (default DefaultAnswer).
func WithAnswer(a Answerer) Option { return func(c *config) { c.answer = a } }

// WithLatency delays every accepted call by d before its first byte.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// WithRateLimit admits perSecond calls with bursts of burst (a token
// bucket); calls beyond it get 429 with Retry-After, counted as
// "rate_limited", without consulting the script.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) { c.rps, c.burst = perSecond, max(burst, 1) }
}

// WithAPIKey requires key: x-goog-api-key or ?key= for Gemini (missing:
// 403, wrong: 400, as Google answers), Bearer for OpenAI (401).
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithModels restricts the fake to these model ids; others get 404.
func WithModels(models ...string) Option {
	return func(c *config) {
		c.models = map[string]bool{}
		for _, m := range models {
			c.models[m] = true
		}
	}
}

// WithChunkWords sets how many words each stream event carries (default 3).
func WithChunkWords(n int) Option { return func(c *config) { c.chunkWords = max(n, 1) } }

// New starts a fake on a loopback port and closes it in tb.Cleanup.
// Cleanups run last-in first-out: register a goleak check before calling
// New (or call Close yourself first) so the fake is gone when it runs.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := Start("", opts...)
	if err != nil {
		tb.Fatalf("upstreamfake: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start listens on addr ("" means 127.0.0.1:0) and serves until Close.
func Start(addr string, opts ...Option) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	cfg := config{answer: DefaultAnswer, chunkWords: defaultChunkWord, maxBody: 32 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s := &Server{cfg: cfg, closing: make(chan struct{}), served: make(chan struct{})}
	if cfg.rps > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(cfg.rps), cfg.burst)
	}
	s.stats.init()
	s.stats.countersOnly = cfg.countersOnly
	s.URL = "http://" + ln.Addr().String()
	s.GeminiBase = s.URL + "/v1beta"
	s.OpenAIBase = s.URL + "/v1"
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
		close(s.served)
	}()
	return s, nil
}

// Serve runs a fake on addr until ctx is done, for benchmark drivers and
// subprocess tests. ready, if non-nil, is called with the started server.
func Serve(ctx context.Context, addr string, ready func(*Server), opts ...Option) error {
	s, err := Start(addr, opts...)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(s)
	}
	select {
	case <-ctx.Done():
	case <-s.served:
	}
	s.Close()
	return s.serveErr
}

// Close stops the server, wakes hanging and sleeping handlers, and waits
// for every handler to return. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		_ = s.srv.Close()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.wg.Wait()
		<-s.served
	})
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1beta/models/{call}", s.track(s.handleGemini))
	mux.HandleFunc("POST /v1/models/{call}", s.track(s.handleGemini))
	mux.HandleFunc("POST /v1/chat/completions", s.track(s.handleOpenAI))
	mux.HandleFunc("POST /chat/completions", s.track(s.handleOpenAI))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, []byte(`{"error":{"code":404,"message":"upstreamfake: no such endpoint","status":"NOT_FOUND"}}`))
	})
	return mux
}

// track counts a handler into the wait group Close waits on, refusing new
// work once Close has started so Add never races Wait.
func (s *Server) track(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			panic(http.ErrAbortHandler)
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		h(w, r)
	}
}

// wait sleeps d, returning false early if the client left or Close began.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}
