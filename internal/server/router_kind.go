package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/llmroute"
	"github.com/llmrouter/llmrouter/internal/router"
)

// Router kinds for router.kind.
const (
	// RouterClassifier is the trained Go router at router.model_path.
	RouterClassifier = "classifier"
	// RouterLLM asks a fine-tuned LLM served behind an OpenAI-compatible
	// completions endpoint, falling back to the classifier (or the rules).
	RouterLLM = "llm"
)

// LLMRouterConfig is router.llm: where the fine-tuned router LLM is served.
type LLMRouterConfig struct {
	// BaseURL is the OpenAI-compatible API root, e.g. http://vllm:8000/v1.
	BaseURL string `yaml:"base_url"`
	// Model is the served model name (vllm serve --served-model-name).
	Model string `yaml:"model"`
	// Timeout bounds one classification before the fallback decides
	// (default 2s): the router sits on every request's critical path.
	Timeout *Duration `yaml:"timeout"`
	// APIKeyEnv names the environment variable holding the endpoint's
	// bearer token, when it needs one (vllm serve --api-key).
	APIKeyEnv string `yaml:"api_key_env"`
}

func (c *RouterConfig) validateKind() error {
	switch c.Kind {
	case "", RouterClassifier:
		if c.LLM != (LLMRouterConfig{}) {
			return errors.New("router.llm: is only used with router.kind: llm")
		}
		return nil
	case RouterLLM:
	default:
		return fmt.Errorf("router.kind: must be %s or %s, got %q", RouterClassifier, RouterLLM, c.Kind)
	}
	l := c.LLM
	if l.BaseURL == "" {
		return errors.New("router.llm.base_url: is required for router.kind llm")
	}
	if !strings.HasPrefix(l.BaseURL, "http://") && !strings.HasPrefix(l.BaseURL, "https://") {
		return fmt.Errorf("router.llm.base_url: must be an http:// or https:// URL, got %q", l.BaseURL)
	}
	if l.Model == "" {
		return errors.New("router.llm.model: is required for router.kind llm")
	}
	if t := l.Timeout; t != nil && (*t <= 0 || time.Duration(*t) > time.Minute) {
		return fmt.Errorf("router.llm.timeout: must be between 0 and 1m, got %s", time.Duration(*t))
	}
	if len(c.Candidates) > 0 {
		return errors.New("router.candidates: an LLM router chooses a policy, not among N models; remove candidates or use kind classifier")
	}
	return nil
}

// buildRouter is the router the gateway scores with: the trained
// classifier (nil without model_path), wrapped for router.kind llm by the
// LLM router, which falls back to it.
func buildRouter(rc RouterConfig, classifier router.Router, getenv func(string) string, client *http.Client, log *slog.Logger) (router.Router, error) {
	if rc.Kind != RouterLLM {
		return classifier, nil
	}
	l := rc.LLM
	var key string
	if l.APIKeyEnv != "" {
		if key = getenv(l.APIKeyEnv); key == "" {
			return nil, fmt.Errorf("router.llm.api_key_env: environment variable %s is not set", l.APIKeyEnv)
		}
	}
	cfg := llmroute.Config{BaseURL: l.BaseURL, APIKey: key, Model: l.Model, HTTPClient: client}
	if l.Timeout != nil {
		cfg.Timeout = time.Duration(*l.Timeout)
	}
	r, err := llmroute.New(cfg, classifier)
	if err != nil {
		return nil, err
	}
	lim := &warnLimiter{every: 10 * time.Second}
	r.OnFallback = func(err error) {
		if n, ok := lim.allow(time.Now()); ok {
			log.Warn("llm router did not decide; the fallback routed instead",
				"model", l.Model, "reason", llmroute.FallbackReason(err), "error", err, "suppressed", n)
		}
	}
	fb := "the routing rules"
	if classifier != nil {
		fb = "the trained classifier"
	}
	log.Info("llm router configured", "model", l.Model, "timeout", cfg.Timeout, "fallback", fb)
	return r, nil
}

// warnLimiter lets one warning through per interval and counts the ones it
// held back, so an endpoint that hangs for every request does not flood
// the log (each fallback is still counted in /metrics).
type warnLimiter struct {
	every time.Duration
	mu    sync.Mutex
	last  time.Time
	held  int
}

func (w *warnLimiter) allow(now time.Time) (suppressed int, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.last.IsZero() && now.Sub(w.last) < w.every {
		w.held++
		return 0, false
	}
	n := w.held
	w.last, w.held = now, 0
	return n, true
}

// scoreQuery asks the router about query. ok is false when the router
// could not decide and has no fallback of its own (an LLM router without a
// classifier): the request is then routed by the rules alone, as without
// a router, rather than failed. Either kind of fallback is counted.
func (s *Server) scoreQuery(x *exchange, r router.Router, query string) (d router.Decision, ok bool, err error) {
	d, err = r.Route(x.ctx, query)
	switch {
	case errors.Is(err, router.ErrUnavailable):
		x.routerFallback = "rules"
		s.metrics.routerFallbacks.WithLabelValues("rules", llmroute.FallbackReason(err)).Inc()
		return router.Decision{}, false, nil
	case err != nil:
		return router.Decision{}, false, apierr.Wrap(apierr.Internal, err, "router failed to score the request")
	case d.Fallback != "":
		x.routerFallback = "classifier"
		s.metrics.routerFallbacks.WithLabelValues("classifier", d.Fallback).Inc()
	}
	return d, true, nil
}
