// Package server is the OpenAI-compatible routing gateway: HTTP transport,
// auth, limits, routing, budgets, fallbacks, metrics and request logs. Wire
// shapes live in package openaiapi; upstream protocols in package provider.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter/internal/capture"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/mediafetch"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/ratelimit"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// Upstreams resolves a catalogue model name to a ready provider (already
// wrapped with retries) and its catalogue entry.
type Upstreams interface {
	Get(model string) (provider.Provider, catalog.Model, error)
}

// Thresholder is implemented by routers with a calibrated threshold.
type Thresholder interface{ Threshold() float64 }

// Verifier judges a cheap model's answer for model "router-cascade"
// (*cascade.Verifier, router.Model.Cascade). It must be safe for
// concurrent use.
type Verifier interface {
	// Score is the chance, in [0, 1], that answer to query is wrong.
	Score(query, answer string) float64
	// Threshold is the score at or above which the strong model is asked.
	Threshold() float64
	// SkipThreshold is the router score at or above which the cheap call
	// is skipped; false: never skip.
	SkipThreshold() (float64, bool)
}

// Deps are the collaborators a Server uses. Only Upstreams is required.
type Deps struct {
	Upstreams Upstreams
	// Router scores queries for model "router"; nil routes by the policy
	// mapping rules alone.
	Router router.Router
	// Cascade verifies cheap answers for model "router-cascade"; nil
	// answers those requests with a 400. It needs Router.
	Cascade Verifier
	// Router and Cascade are the model the gateway starts with; the one
	// serving is swapped by ReloadRouter. RouterVersion names it (default:
	// from Router when it is a *router.Model).
	RouterVersion string
	// LoadRouter reads the router model again for ReloadRouter (SIGHUP,
	// router.watch); nil refuses reloads.
	LoadRouter RouterLoader
	// RouterFiles is router.model_path's fingerprint when Router was
	// loaded, so the watcher does not reload an unchanged model.
	RouterFiles string
	// Mapper picks the model for a routed request; nil builds one from
	// Config.PolicyMapping.
	Mapper policy.Mapper
	// Budgets enforces spend limits; nil means no budgets.
	Budgets *spend.Budgets
	// Store records every request; nil records nothing. A store that is
	// also a spend.Reporter serves the usage API and the dashboard.
	Store spend.Store
	// Limiter enforces rate limits; nil counts Config.RateLimits in memory.
	Limiter *ratelimit.Limiter
	// Redis is the shared Redis behind Budgets and Limiter, for /readyz
	// and /metrics; nil when they count in memory.
	Redis *SharedRedis
	// Capture appends answered requests to capture.path; nil captures
	// nothing.
	Capture *capture.Writer
	Logger  *slog.Logger
	// Now is the clock (tests); nil uses time.Now.
	Now func() time.Time
}

// Server is the gateway. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg       *Config
	cat       *catalog.Catalogue
	deps      Deps
	log       *slog.Logger
	now       func() time.Time
	auth      *authenticator
	metrics   *metrics
	rt        atomic.Pointer[routerState] // serves new requests; reload.go swaps it whole
	reloading *reloader
	ops       *ops
	chains    map[string][]string // model → model and its fallbacks
	fetch     *mediafetch.Fetcher // remote media for Gemini; nil unless multimodal.fetch_remote
	handler   http.Handler
	draining  atomic.Bool
}

// New validates cfg and builds a Server.
func New(cfg *Config, deps Deps) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("server: nil config")
	}
	if deps.Upstreams == nil {
		return nil, errors.New("server: Deps.Upstreams is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		return nil, err
	}
	if deps.Mapper == nil {
		if deps.Mapper, err = policy.New(cfg.PolicyMapping, cat); err != nil {
			return nil, fmt.Errorf("policy_mapping: %w", err)
		}
	}
	s := &Server{cfg: cfg, cat: cat, deps: deps, log: deps.Logger, now: deps.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.auth = newAuthenticator(cfg.Auth.Keys)
	s.metrics = newMetrics()
	s.ops = s.newOps(cfg, cat, deps.Limiter)
	s.registerRedisMetrics()
	s.registerCaptureMetrics()
	s.chains = make(map[string][]string, len(cat.Models))
	for name := range cat.Models {
		s.chains[name] = buildChain(name, cfg.Fallbacks[name])
	}
	rt, err := newRouterState(cfg, cat, LoadedRouter{Router: deps.Router, Cascade: deps.Cascade, Version: deps.RouterVersion}, s.now())
	if err != nil {
		return nil, err
	}
	rt.files = deps.RouterFiles
	s.initReload(deps.LoadRouter, rt)
	s.fetch = mediafetch.New(cfg.Multimodal)
	s.handler = s.routes()
	return s, nil
}

// Handler is the gateway's HTTP handler (for httptest or custom servers).
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /v1/models/{id...}", s.handleModel)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	s.opsRoutes(mux)
	mux.HandleFunc("/", s.handleNotFound)
	return s.withAuth(mux)
}

// HTTPServer builds the net/http server with the configured limits. There
// is no WriteTimeout: streams may legitimately run for minutes, and the
// per-request timeout bounds them instead.
func (s *Server) HTTPServer() *http.Server {
	l := s.cfg.Limits
	return &http.Server{
		Addr:              s.cfg.Listen,
		Handler:           s.handler,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve serves on ln until ctx is cancelled, then drains: /healthz turns
// 503 so load balancers stop sending, new connections are refused, and
// in-flight requests (streams included) get ShutdownTimeout to finish
// before their connections are closed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer()
	stopWatch := s.startWatch(ctx)
	defer stopWatch()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down, draining in-flight requests", "timeout", s.cfg.Limits.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Limits.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		s.log.Warn("drain deadline passed, closing remaining connections", "error", err)
		_ = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serr)
	}
	return err
}

// ListenAndServe listens on Config.Listen and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	s.log.Info("llmrouter gateway listening", "addr", ln.Addr().String(), "models", len(s.cat.Models), "auth_keys", len(s.cfg.Auth.Keys))
	return s.Serve(ctx, ln)
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"draining"}`))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}
