package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// OpenOptions are the outside world Open may touch.
type OpenOptions struct {
	// Getenv reads upstream keys and the Redis URL (default os.Getenv).
	Getenv func(string) string
	Logger *slog.Logger
	// HTTPClient overrides the upstream HTTP client (tests).
	HTTPClient *http.Client
	// RetrySleep overrides the retry backoff wait (tests).
	RetrySleep func(ctx context.Context, d time.Duration) error
	// Replay builds the recorded-benchmark provider for catalogue models
	// whose provider is "replay" (the command passes replay.Lazy); nil
	// refuses them, and the gateway package then links no recorded data.
	Replay func() (provider.Provider, error)
}

// Open builds a production Server from cfg: the provider registry (keys
// from env or secret files only), the trained router, the SQLite spend
// store, and budgets counted in memory or in Redis. close releases them
// and must be called after serving stops.
func Open(ctx context.Context, cfg *Config, o OpenOptions) (srv *Server, closeFn func() error, err error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var closers []func() error
	closeAll := func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			_ = closeAll()
		}
	}()
	cat, err := cfg.Catalogue()
	if err != nil {
		return nil, nil, err
	}
	deps := Deps{Logger: o.Logger}
	deps.Upstreams = registry.New(cat, registry.Options{
		Getenv: o.Getenv, HTTPClient: o.HTTPClient, Logger: o.Logger, Replay: o.Replay,
		Retry: provider.RetryOptions{MaxAttempts: cfg.Retry.MaxAttempts, BaseDelay: cfg.Retry.BaseDelay, MaxDelay: cfg.Retry.MaxDelay, Sleep: o.RetrySleep},
	})
	for _, name := range cat.Names() {
		if err := deps.Upstreams.(*registry.Registry).CheckKey(name); err != nil {
			o.Logger.Warn("model unavailable until its key is set; requests for it fall back or fail", "model", name, "error", err)
		}
	}
	if err := openRouter(ctx, cfg, o, &deps); err != nil {
		return nil, nil, err
	}
	store, err := OpenStore(ctx, cfg, o.Getenv, o.Logger)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, store.Close)
	deps.Store = store
	if cw, closeCapture, err := openCapture(cfg, o.Logger); err != nil {
		return nil, nil, err
	} else if cw != nil {
		closers = append(closers, closeCapture)
		deps.Capture = cw
	}
	var counter spend.Counter = spend.NewMemoryCounter()
	if cfg.Spend.RedisURLEnv != "" {
		rs, err := openRedis(ctx, cfg, o.Getenv, o.Logger)
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, rs.close)
		counter, deps.Limiter, deps.Redis = rs.budget, rs.limiter, rs.health
	}
	if deps.Budgets, err = spend.NewBudgets(cfg.Budgets, counter); err != nil {
		return nil, nil, err
	}
	if err := deps.Budgets.Restore(ctx, store); err != nil {
		return nil, nil, err
	}
	if srv, err = New(cfg, deps); err != nil {
		return nil, nil, err
	}
	return srv, closeAll, nil
}

// openRouter loads the router the gateway starts with into deps, and the
// loader that reloads it (SIGHUP, router.watch) when there is a model
// directory to read again.
func openRouter(ctx context.Context, cfg *Config, o OpenOptions, deps *Deps) error {
	rc := cfg.Router
	if rc.ModelPath == "" && rc.Kind != RouterLLM {
		return nil
	}
	load := routerLoader(cfg, o)
	if rc.ModelPath != "" {
		deps.LoadRouter, deps.RouterFiles = load, modelFingerprint(rc.ModelPath)
	}
	lr, err := load(ctx)
	if err != nil {
		return err
	}
	deps.Router, deps.Cascade, deps.RouterVersion = lr.Router, lr.Cascade, lr.Version
	if lr.Cascade != nil {
		o.Logger.Info("cascade verifier loaded: model \"router-cascade\" is available",
			"threshold", lr.Cascade.Threshold(), "model_path", rc.ModelPath)
	}
	return nil
}

// routerLoader reads the trained classifier and builds the configured
// router around it, afresh on every call, so a reload of an LLM router
// also replaces the classifier it falls back to.
func routerLoader(cfg *Config, o OpenOptions) RouterLoader {
	classifier := classifierLoader(cfg)
	return func(ctx context.Context) (LoadedRouter, error) {
		var lr LoadedRouter
		if cfg.Router.ModelPath != "" {
			var err error
			if lr, err = classifier(ctx); err != nil {
				return LoadedRouter{}, err
			}
		}
		r, err := buildRouter(cfg.Router, lr.Router, o.Getenv, nil, o.Logger)
		if err != nil {
			return LoadedRouter{}, err
		}
		lr.Router = r
		return lr, nil
	}
}
