package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"
	"time"

	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/server"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

type fakeReq struct {
	Latency    time.Duration
	ChunkWords int
}

type addrResp struct {
	URL string
	PID int
}

// childFake runs the fake upstream in its own process, so its counters'
// growth and CPU are charged neither to the gateway nor to the load
// generator. It serves until stdin closes.
func childFake(ctx context.Context, dec *json.Decoder, emit func(any) error) error {
	var req fakeReq
	if err := dec.Decode(&req); err != nil {
		return err
	}
	opts := []upstreamfake.Option{upstreamfake.WithLatency(req.Latency), upstreamfake.WithCountersOnly()}
	if req.ChunkWords > 0 {
		opts = append(opts, upstreamfake.WithChunkWords(req.ChunkWords))
	}
	s, err := upstreamfake.Start("127.0.0.1:0", opts...)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := emit(addrResp{URL: s.URL, PID: os.Getpid()}); err != nil {
		return err
	}
	waitStdinClosed(ctx, dec)
	return nil
}

// waitStdinClosed blocks until the parent closes stdin or ctx ends.
func waitStdinClosed(ctx context.Context, dec *json.Decoder) {
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, dec.Buffered())
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// cpuProfileEnv names a file for the gateway child's CPU profile.
const cpuProfileEnv = "LLMROUTER_BENCH_GATEWAY_CPUPROFILE"

type gatewayReq struct {
	Config string
}

// childGateway is the in-process fallback used when `llmrouter serve` is
// unavailable (and by the smoke test): it wires server.New as the serve
// command does (config file, provider registry with the config's retries,
// the trained router, the SQLite spend store) and serves on a loopback
// port until stdin closes.
func childGateway(ctx context.Context, dec *json.Decoder, emit func(any) error) error {
	var req gatewayReq
	if err := dec.Decode(&req); err != nil {
		return err
	}
	if path := os.Getenv(cpuProfileEnv); path != "" {
		// A development aid: where does the gateway spend its CPU?
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := server.LoadConfig(req.Config)
	if err != nil {
		return err
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	reg := registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}), Getenv: fakeGetenv, Logger: log, Retry: provider.RetryOptions{
		MaxAttempts: cfg.Retry.MaxAttempts, BaseDelay: cfg.Retry.BaseDelay, MaxDelay: cfg.Retry.MaxDelay}})
	deps := server.Deps{Upstreams: reg, Logger: log}
	if cfg.Router.ModelPath != "" {
		m, err := router.Load(cfg.Router.ModelPath)
		if err != nil {
			return err
		}
		deps.Router = m
		if m.Cascade != nil {
			deps.Cascade = m.Cascade
		}
	}
	store, err := sqlite.Open(ctx, cfg.Spend.SQLitePath, sqlite.Options{Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	deps.Store = store
	// As Open does: budgets always count, unlimited unless configured.
	if deps.Budgets, err = spend.NewBudgets(cfg.Budgets, spend.NewMemoryCounter()); err != nil {
		return err
	}
	srv, err := server.New(cfg, deps)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(sctx, ln) }()
	if err := emit(addrResp{URL: "http://" + ln.Addr().String(), PID: os.Getpid()}); err != nil {
		return err
	}
	waitStdinClosed(ctx, dec)
	cancel()
	if err := <-errc; err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return nil
}
