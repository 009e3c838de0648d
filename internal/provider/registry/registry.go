// Package registry builds providers from the model catalogue: it resolves
// API keys (env or secret file), base URLs and the recorded data, builds
// each model's client lazily, wraps it with retries and caches it. The
// recorded-benchmark (replay) provider is supplied by the caller, so a
// binary that never replays, such as the gateway package, does not link the
// recorded data. It lives
// outside package provider because it imports the implementations, which
// themselves import provider.
package registry

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/gemini"
	"github.com/llmrouter/llmrouter/internal/provider/openai"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

// Environment variables read through Options.Getenv.
const (
	GeminiKeyEnv  = "GEMINI_API_KEY"
	GeminiBaseEnv = "GEMINI_BASE_URL"
)

// Options configures a Registry. Every field is optional.
type Options struct {
	// Getenv reads the environment (default os.Getenv); commands pass env.Getenv.
	Getenv func(string) string
	// ReadFile reads api_key_file (default os.ReadFile).
	ReadFile func(string) ([]byte, error)
	// HTTPClient is shared by all HTTP providers (default: one with explicit
	// transport timeouts).
	HTTPClient *http.Client
	// Retry wraps every HTTP provider.
	Retry provider.RetryOptions
	// Timeout bounds one non-streamed call; StreamIdleTimeout ends a silent
	// stream. Zero keeps the clients' defaults.
	Timeout, StreamIdleTimeout time.Duration
	Logger                     *slog.Logger
	// Replay builds the provider of catalogue models whose provider is
	// "replay" (the recorded benchmark, see replay.Lazy). It is called once,
	// on first use; nil refuses such models with an error that says so.
	Replay func() (provider.Provider, error)
}

// Registry hands out one provider per catalogue model. It is safe for
// concurrent use.
type Registry struct {
	cat    *catalog.Catalogue
	opts   Options
	mu     sync.Mutex
	cache  map[string]provider.Provider
	replay func() (provider.Provider, error)
}

// New returns a registry over cat.
func New(cat *catalog.Catalogue, opts Options) *Registry {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = upstream.NewHTTPClient()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Retry.Logger == nil {
		opts.Retry.Logger = opts.Logger
	}
	r := &Registry{cat: cat, opts: opts, cache: map[string]provider.Provider{}}
	r.replay = sync.OnceValues(func() (provider.Provider, error) {
		if opts.Replay == nil {
			return nil, fmt.Errorf("the replay provider (recorded benchmark) is not available here; it serves the offline pipeline commands")
		}
		return opts.Replay()
	})
	return r
}

// Catalogue returns the catalogue the registry serves.
func (r *Registry) Catalogue() *catalog.Catalogue { return r.cat }

// Get returns the provider for a catalogue model name, building it on first
// use, and the model's catalogue entry (UpstreamModel filled in). The
// provider always sends the model's upstream id, whatever req.Model says.
func (r *Registry) Get(name string) (provider.Provider, catalog.Model, error) {
	m, err := r.cat.Lookup(name)
	if err != nil {
		return nil, catalog.Model{}, err
	}
	r.mu.Lock()
	p, ok := r.cache[name]
	r.mu.Unlock()
	if ok {
		return p, m, nil
	}
	p, err = r.build(name, m)
	if err != nil {
		return nil, catalog.Model{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.cache[name]; ok {
		return prev, m, nil // another goroutine won the race; keep one
	}
	r.cache[name] = p
	return p, m, nil
}

// CheckKey fails fast when a model is unknown or lacks its API key, so a
// command can stop before doing any work.
func (r *Registry) CheckKey(name string) error {
	m, err := r.cat.Lookup(name)
	if err != nil {
		return err
	}
	_, err = r.apiKey(name, m)
	return err
}

// Endpoint returns the API base URL (empty: the provider's default) and
// key that a model's HTTP provider uses, for clients of the same API
// other than chat (batch jobs).
func (r *Registry) Endpoint(name string) (baseURL, apiKey string, err error) {
	m, err := r.cat.Lookup(name)
	if err != nil {
		return "", "", err
	}
	return r.endpoint(name, m)
}

// endpoint is Endpoint for a model already looked up; build's clients
// use it too, so that chat and batch calls always reach the same place.
func (r *Registry) endpoint(name string, m catalog.Model) (baseURL, apiKey string, err error) {
	if apiKey, err = r.apiKey(name, m); err != nil {
		return "", "", err
	}
	baseURL = m.BaseURL
	if baseURL == "" && m.Provider == "gemini" {
		baseURL = r.opts.Getenv(GeminiBaseEnv)
	}
	return baseURL, apiKey, nil
}

func (r *Registry) build(name string, m catalog.Model) (provider.Provider, error) {
	var p provider.Provider
	switch m.Provider {
	case "replay":
		rp, err := r.replay()
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", name, err)
		}
		// Replay errors are never retryable: no retry wrapper.
		return pinned{p: rp, model: m.UpstreamModel}, nil
	case "gemini", "openai":
		base, key, err := r.endpoint(name, m)
		if err != nil {
			return nil, err
		}
		cfg := upstream.Config{BaseURL: base, APIKey: key, HTTPClient: r.opts.HTTPClient,
			Timeout: r.opts.Timeout, StreamIdleTimeout: r.opts.StreamIdleTimeout, Logger: r.opts.Logger}
		if m.Provider == "gemini" {
			p = gemini.New(gemini.Config(cfg))
		} else {
			p = openai.New(openai.Config(cfg))
		}
	default:
		return nil, fmt.Errorf("model %s: provider %q is not one of gemini, openai, replay", name, m.Provider)
	}
	return pinned{p: provider.WithRetry(p, r.opts.Retry), model: m.UpstreamModel}, nil
}

// apiKey resolves a model's key: api_key_env (default GEMINI_API_KEY for
// gemini), then api_key_file. An openai model with neither configured runs
// keyless, as local servers (Ollama, llama.cpp, vLLM) need no key.
func (r *Registry) apiKey(name string, m catalog.Model) (string, error) {
	switch m.Provider {
	case "gemini", "openai":
	default:
		return "", nil
	}
	env := m.APIKeyEnv
	if env == "" && m.Provider == "gemini" {
		env = GeminiKeyEnv
	}
	if env != "" {
		if v := strings.TrimSpace(r.opts.Getenv(env)); v != "" {
			return v, nil
		}
	}
	if m.APIKeyFile != "" {
		b, err := r.opts.ReadFile(m.APIKeyFile)
		if err != nil {
			return "", fmt.Errorf("model %s: api_key_file %s: %w", name, m.APIKeyFile, unwrapPathErr(err))
		}
		if v := strings.TrimSpace(string(b)); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("model %s: api_key_file %s is empty", name, m.APIKeyFile)
	}
	if env == "" {
		return "", nil // keyless openai-compatible server
	}
	return "", fmt.Errorf("model %s needs an API key: set %s", name, env)
}

// unwrapPathErr keeps "no such file or directory" without repeating the path.
func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// pinned sends the catalogue's upstream model id on every call.
type pinned struct {
	p     provider.Provider
	model string
}

func (p pinned) with(req *provider.Request) *provider.Request {
	if req.Model == p.model {
		return req
	}
	cp := *req
	cp.Model = p.model
	return &cp
}

func (p pinned) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	return p.p.Complete(ctx, p.with(req))
}

func (p pinned) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return p.p.Stream(ctx, p.with(req))
}
