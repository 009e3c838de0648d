// Package llmroute is a router.Router that asks an LLM, fine-tuned on the
// exported sft_train.jsonl/dpo_train.jsonl and served behind an
// OpenAI-compatible completions endpoint (vLLM), for the policy label. The
// prompt is the one the training files use (trl.Prompt), so the served
// model sees exactly what it was trained on. When the endpoint is slow or
// fails, the query goes to a fallback router instead.
package llmroute

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// Config is the router.kind: llm endpoint.
type Config struct {
	// BaseURL is the OpenAI-compatible API root, e.g. http://vllm:8000/v1.
	BaseURL string
	// APIKey is sent as a bearer token when not empty; never logged.
	APIKey string
	// Model is the served model name (vllm serve --served-model-name).
	Model string
	// Timeout bounds one classification; default 2s.
	Timeout time.Duration
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client
}

// Router asks the LLM and falls back on timeout or error.
type Router struct {
	cfg       Config
	fallback  router.Router
	fallbacks atomic.Int64
	// OnFallback, if set, is called with the LLM's error each time the
	// fallback answers (metrics, logs).
	OnFallback func(err error)
}

// New checks cfg. fallback may be nil: then errors are returned, and the
// gateway routes by its rules.
func New(cfg Config, fallback router.Router) (*Router, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("router.llm.base_url: is required for router.kind llm")
	}
	if cfg.Model == "" {
		return nil, errors.New("router.llm.model: is required for router.kind llm")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Router{cfg: cfg, fallback: fallback}, nil
}

// Name implements router.Router.
func (r *Router) Name() string { return "llm:" + r.cfg.Model }

// Fallbacks counts queries the fallback answered.
func (r *Router) Fallbacks() int64 { return r.fallbacks.Load() }

// Route implements router.Router.
func (r *Router) Route(ctx context.Context, query string) (router.Decision, error) {
	actx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	d, err := r.ask(actx, query)
	cancel()
	if err == nil {
		return d, nil
	}
	r.fallbacks.Add(1)
	if r.OnFallback != nil {
		r.OnFallback(err)
	}
	if r.fallback == nil {
		return router.Decision{}, fmt.Errorf("llm router %s: %w: %w", r.cfg.Model, router.ErrUnavailable, err)
	}
	d, ferr := r.fallback.Route(ctx, query)
	if ferr != nil {
		return d, fmt.Errorf("llm router %s: %w; fallback %s: %w", r.cfg.Model, err, r.fallback.Name(), ferr)
	}
	d.Fallback = FallbackReason(err)
	return d, nil
}

// FallbackReason names why the LLM did not decide: "timeout" when it did
// not answer within the timeout, "error" for anything else (refused
// connection, non-200 status, a reply that is not a policy label).
func FallbackReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}

type completionRequest struct {
	Model       string  `json:"model"`
	Prompt      string  `json:"prompt"`
	MaxTokens   int     `json:"max_tokens"`
	Temperature float64 `json:"temperature"`
	Logprobs    int     `json:"logprobs"`
}

type completionResponse struct {
	Choices []struct {
		Text     string    `json:"text"`
		Logprobs *logprobs `json:"logprobs"`
	} `json:"choices"`
}

// logprobs is the completions protocol's per-token alternatives: one map
// of token to log probability per generated token.
type logprobs struct {
	TopLogprobs []map[string]float64 `json:"top_logprobs"`
}

func (r *Router) ask(ctx context.Context, query string) (router.Decision, error) {
	body, err := json.Marshal(completionRequest{Model: r.cfg.Model, Prompt: trl.Prompt(query),
		MaxTokens: 8, Temperature: 0, Logprobs: 5})
	if err != nil {
		return router.Decision{}, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.BaseURL+"/completions", bytes.NewReader(body))
	if err != nil {
		return router.Decision{}, fmt.Errorf("router.llm.base_url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if r.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.cfg.APIKey)
	}
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		return router.Decision{}, fmt.Errorf("completions: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return router.Decision{}, fmt.Errorf("completions: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return router.Decision{}, fmt.Errorf("completions: status %d", resp.StatusCode)
	}
	var cr completionResponse
	if err := json.Unmarshal(raw, &cr); err != nil {
		return router.Decision{}, fmt.Errorf("completions: decode: %w", err)
	}
	if len(cr.Choices) == 0 {
		return router.Decision{}, errors.New("completions: no choices")
	}
	return decide(cr.Choices[0].Text, cr.Choices[0].Logprobs)
}

// decide turns the first token's top logprobs into probabilities over the
// labels (renormalised: the labels start with distinct tokens); without
// logprobs the generated label gets probability 1.
func decide(text string, lp *logprobs) (router.Decision, error) {
	probs := map[string]float64{}
	var sum float64
	if lp != nil && len(lp.TopLogprobs) > 0 {
		for tok, l := range lp.TopLogprobs[0] {
			t := strings.TrimSpace(tok)
			if t == "" {
				continue
			}
			for _, label := range policy.Labels {
				if strings.HasPrefix(label, t) {
					probs[label] += math.Exp(l)
					sum += math.Exp(l)
					break
				}
			}
		}
	}
	if sum == 0 {
		label := strings.TrimSpace(text)
		if !policy.Valid(label) {
			return router.Decision{}, fmt.Errorf("completions: answer %q is not a policy label", apiOneLine(label))
		}
		probs, sum = map[string]float64{label: 1}, 1
	}
	d := router.Decision{Probs: map[string]float64{}}
	best := -1.0
	for _, label := range policy.Labels {
		p := probs[label] / sum
		d.Probs[label] = p
		if p > best {
			best, d.Policy = p, label
		}
	}
	d.Score = d.Probs[policy.Complex]
	return d, nil
}

func apiOneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

var _ router.Router = (*Router)(nil)
