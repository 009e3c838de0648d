package server

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/ratelimit"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// ops is the gateway's operations side: the baseline that savings are
// measured against, admin keys, per-key model allow-lists and rate limits.
type ops struct {
	admin         *authenticator
	baseline      string
	baselinePrice catalog.Price
	limiter       *ratelimit.Limiter
	// allow maps a key id with an allow-list to its models; keys absent
	// may use every model.
	allow        map[string][]string
	baselineCost prometheus.Counter
	rateLimited  *prometheus.CounterVec
	forbidden    prometheus.Counter
}

// opsState is one request's share: its rate-limit ticket and the tokens
// its calls used.
type opsState struct {
	ticket *ratelimit.Ticket
	tokens int64
}

func (s *Server) newOps(cfg *Config, cat *catalog.Catalogue, limiter *ratelimit.Limiter) *ops {
	o := &ops{admin: newAuthenticator(cfg.Auth.AdminKeys), baseline: cfg.BaselineModel(), limiter: limiter, allow: map[string][]string{}}
	o.baselinePrice = cat.Models[o.baseline].Price
	if o.limiter == nil {
		o.limiter = ratelimit.New(cfg.RateLimits, ratelimit.NewMemory())
	}
	for _, k := range cfg.Auth.Keys {
		if len(k.Models) > 0 {
			o.allow[k.ID] = slices.Sorted(slices.Values(k.Models))
		}
	}
	bc := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "llmrouter_baseline_cost_usd_total",
		Help: "Estimated cost in USD had every request gone to the baseline model: each request's input and output tokens at the baseline model's prices (an estimate: that model would have written a different number of tokens). Savings = this - llmrouter_cost_usd_total.",
	}, []string{"baseline_model"})
	o.baselineCost = bc.WithLabelValues(o.baseline)
	o.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "llmrouter_rate_limited_total",
		Help: "Chat requests refused with 429 by the gateway's own rate limits, by the scope that refused (key or global).",
	}, []string{"scope"})
	o.forbidden = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "llmrouter_model_forbidden_total",
		Help: "Chat requests refused with 403 because the model (asked for or chosen by the router) is outside the key's allow-list.",
	})
	s.metrics.reg.MustRegister(bc, o.rateLimited, o.forbidden)
	return o
}

// baselineCost is what u's tokens cost at the baseline model's prices.
func (o *ops) cost(in, out int) float64 { return o.baselinePrice.Cost(in, out) }

// account runs for every spend record of x, before it is stored: the
// record gets its baseline cost, counted once per request in the
// metrics, and its tokens count toward the request's rate limit.
func (s *Server) account(x *exchange, r *spend.Record) {
	out := r.OutputTokens + r.ThinkingTokens
	r.BaselineCostUSD = s.ops.cost(r.InputTokens, out)
	if !r.Superseded() {
		s.ops.baselineCost.Add(r.BaselineCostUSD)
	}
	x.ops.tokens += int64(r.InputTokens + out)
}

// allowedChain drops the fallbacks keyID may not use; the first model,
// the one asked for or chosen, is checked by admit.
func (s *Server) allowedChain(keyID string, chain []string) []string {
	models, ok := s.ops.allow[keyID]
	if !ok || len(chain) < 2 {
		return chain
	}
	out := make([]string, 1, len(chain))
	out[0] = chain[0]
	for _, m := range chain[1:] {
		if slices.Contains(models, m) {
			out = append(out, m)
		}
	}
	return out
}

// admit runs once a request is planned: its models must be in the key's
// allow-list (403 naming the model), and it must fit the rate limits
// (429 with Retry-After). The x-ratelimit-* headers go on every answer.
func (s *Server) admit(x *exchange) error {
	if err := s.checkAllowed(x); err != nil {
		s.ops.forbidden.Inc()
		return err
	}
	if s.ops.limiter == nil {
		return nil
	}
	tokens := int64(reservePrompt(x.req) + x.preq.MaxTokens)
	if x.cascade && x.outcome == "" {
		tokens *= 2 // the cheap call, and the strong one if it escalates
	}
	t, err := s.ops.limiter.Admit(x.ctx, x.keyID, tokens)
	var ref *ratelimit.Refusal
	if errors.As(err, &ref) {
		setHeaders(x, ref.Headers)
		s.ops.rateLimited.WithLabelValues(ref.Scope).Inc()
		return ref.Err
	}
	if err != nil {
		return err
	}
	if t != nil {
		x.ops.ticket = t
		setHeaders(x, t.Headers)
	}
	return nil
}

func setHeaders(x *exchange, h map[string]string) {
	for k, v := range h {
		x.w.Header().Set(k, v)
	}
}

func (s *Server) checkAllowed(x *exchange) error {
	models, ok := s.ops.allow[x.keyID]
	if !ok || len(x.chain) == 0 {
		return nil
	}
	need := []string{x.chain[0]}
	if x.cascade && x.outcome == "" {
		need = append(need, x.rt.cascade.strong) // it may escalate
	}
	for _, m := range need {
		if slices.Contains(models, m) {
			continue
		}
		how := "requested"
		switch {
		case x.cascade:
			how = "which " + requested(x) + " may call"
		case x.routed:
			how = "chosen by the router"
		}
		return &openaiapi.FieldError{Param: "model", Err: apierr.New(apierr.Forbidden,
			"key %q may not use model %q (%s); its models: %s", x.keyID, m, how, strings.Join(models, ", "))}
	}
	return nil
}

// settleLimits corrects the tokens the rate limit counted at admission to
// what the request's calls used; it runs after finish has recorded them.
func (s *Server) settleLimits(x *exchange) {
	if x.ops.ticket == nil {
		return
	}
	if err := x.ops.ticket.Settle(context.WithoutCancel(x.ctx), x.ops.tokens); err != nil {
		s.log.Warn("could not settle rate-limit tokens", "request_id", x.id, "key_id", x.keyID, "error", err)
	}
}
