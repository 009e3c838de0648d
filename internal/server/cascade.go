package server

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// Cascade routing, model "router-cascade": the cheap model answers first
// and the verifier reads that answer; only an answer that looks wrong is
// replaced by the strong model's. A query the router already scores as
// hard enough skips the cheap call. The verifier needs the whole answer,
// so the cheap call is never streamed; a streamed request gets the chosen
// answer as a stream once it is chosen.

const (
	cascadeModel = "router-cascade"
	ruleCascade  = "cascade"
)

// cascadeSetup is what New resolves once for cascade requests.
type cascadeSetup struct {
	v             Verifier
	threshold     float64 // router.cascade_threshold, else the verifier's
	cheap, strong string  // policy_mapping's cheap_model and strong_model
}

func newCascadeSetup(cfg *Config, v Verifier) cascadeSetup {
	c := cascadeSetup{v: v, cheap: cfg.PolicyMapping.CheapModel, strong: cfg.PolicyMapping.StrongModel}
	if c.cheap == "" {
		c.cheap = policy.DefaultCheapModel
	}
	if c.strong == "" {
		c.strong = policy.DefaultStrongModel
	}
	switch {
	case cfg.Router.CascadeThreshold != nil:
		c.threshold = *cfg.Router.CascadeThreshold
	case v != nil:
		c.threshold = v.Threshold()
	}
	return c
}

// hold is budget reserved for one of a cascade's calls before the first
// call starts; the call's first attempt of that model uses it.
type hold struct {
	model string
	res   *spend.Reservation
}

func isCascadeModel(name string) bool {
	return name == cascadeModel || strings.HasPrefix(name, cascadeModel+"-")
}

// planCascade checks that the gateway can cascade, scores the query and
// decides whether to skip the cheap call.
func (s *Server) planCascade(x *exchange) error {
	name := x.req.Model
	t := x.rt.cascade.threshold
	if name != cascadeModel {
		v, err := strconv.ParseFloat(name[len(cascadeModel)+1:], 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return &openaiapi.FieldError{Param: "model", Err: apierr.New(apierr.Invalid,
				"model %q: the threshold after \"router-cascade-\" must be a number in [0, 1]", name)}
		}
		t = v
	}
	if x.rt.router == nil {
		return &openaiapi.FieldError{Param: "model", Err: apierr.New(apierr.Invalid,
			"model %q needs a trained router model with a cascade verifier, and the gateway has none loaded (router.model_path)", name)}
	}
	if x.rt.cascade.v == nil {
		return &openaiapi.FieldError{Param: "model", Err: apierr.New(apierr.Invalid,
			"model %q: the loaded router model has no cascade verifier; train one on oracle rows that carry the cheap model's answers "+
				"(e.g. llmrouter pipeline --benchmark gsm8k) and point router.model_path at it", name)}
	}
	x.routed, x.cascade, x.cascadeT, x.rule = true, true, t, ruleCascade
	d, ok, err := s.scoreQuery(x, x.rt.router, s.routedText(x))
	if err != nil {
		return err
	}
	x.score, x.scored, x.policy = d.Score, ok, d.Policy
	x.drift, x.hasDrift = d.Drift, d.HasDrift
	if !ok { // no score: the cheap model answers first, as the cascade always lets it
		x.policy = policy.Standard
	}
	if x.rt.hasThresh {
		x.policy = policyAt(d, x.rt.threshold)
	}
	if skip, ok := x.rt.cascade.v.SkipThreshold(); ok && d.Score >= skip {
		x.reason = fmt.Sprintf("cascade skipped the cheap model: query score %.3f >= skip threshold %.3f", d.Score, skip)
		s.decide(x, spend.CascadeSkipped, x.rt.cascade.strong)
		x.step, x.chain = spend.StepStrong, s.chainFor(x, x.rt.cascade.strong)
		return nil
	}
	x.step, x.chain = spend.StepCheap, s.chainFor(x, x.rt.cascade.cheap)
	return nil
}

// decide sets and counts the cascade's outcome; model is the one that
// answers (or will).
func (s *Server) decide(x *exchange, outcome, model string) {
	x.outcome = outcome
	s.metrics.cascadeBy[outcome].Inc()
	s.metrics.decisions.WithLabelValues(x.policy, model, ruleCascade).Inc()
}

// serveCascade runs a planned cascade: the strong model alone when the
// cheap call is skipped, else the cheap call, its verification, and the
// strong call if the verifier asks for it. A cheap chain that fails for
// a reason the strong model may not share (an outage, a rate limit)
// escalates too: the strong model is the cascade's last fallback.
func (s *Server) serveCascade(x *exchange) {
	if x.outcome == spend.CascadeSkipped {
		s.serve(x)
		return
	}
	if err := s.holdBoth(x); err != nil {
		s.fail(x, err)
		return
	}
	resp, err := s.complete(x)
	switch {
	case err != nil && !s.fallBack(x, err):
		s.fail(x, err)
	case err != nil:
		code := string(apierr.CodeOf(err))
		x.reason = fmt.Sprintf("cascade escalated: the cheap model %s failed (%s)", x.model, code)
		s.escalate(x, code)
	case len(resp.ToolCalls) > 0:
		// A tool call is an action to take, not an answer to grade: the
		// verifier was trained on final answers only.
		x.reason = "cascade accepted the cheap answer unverified: it calls tools"
		s.accept(x, resp)
	default:
		x.escScore, x.escScored = x.rt.cascade.v.Score(x.query, resp.Text), true
		if x.escScore < x.cascadeT {
			x.reason = fmt.Sprintf("cascade accepted the cheap answer: escalate score %.3f < threshold %.3f", x.escScore, x.cascadeT)
			s.accept(x, resp)
			return
		}
		x.reason = fmt.Sprintf("cascade escalated: escalate score %.3f >= threshold %.3f", x.escScore, x.cascadeT)
		s.escalate(x, "ok")
	}
}

// serve answers x from x.chain, streamed or not as the client asked.
func (s *Server) serve(x *exchange) {
	if x.stream {
		s.serveStream(x)
	} else {
		s.serveComplete(x)
	}
}

// accept answers with the cheap model's answer.
func (s *Server) accept(x *exchange, resp *provider.Response) {
	s.releaseHolds(x, "") // frees the strong call's share of the budget now
	s.decide(x, spend.CascadeAccepted, x.model)
	if x.stream {
		s.replay(x, resp)
	} else {
		s.respond(x, resp)
	}
}

// escalate records the cheap call as superseded and answers from the
// strong model's chain.
func (s *Server) escalate(x *exchange, cheapStatus string) {
	s.decide(x, spend.CascadeEscalated, x.rt.cascade.strong)
	s.record(x, x.spendRecord(cheapStatus, s.now().Sub(x.start)))
	s.releaseHolds(x, x.rt.cascade.strong)
	x.prevCost, x.cost, x.usage, x.fellFrom, x.errDetail = x.cost, 0, provider.Usage{}, "", ""
	x.step, x.chain = spend.StepStrong, s.escalationChain(x, s.chainFor(x, x.rt.cascade.strong))
	s.serve(x)
}

// holdBoth reserves the worst case, both calls, before the first: a
// cascade whose escalation the budget could not pay for is refused before
// the cheap model is paid, not after.
func (s *Server) holdBoth(x *exchange) error {
	if s.deps.Budgets == nil {
		return nil
	}
	prompt := reservePrompt(x.req)
	for i, name := range [2]string{x.rt.cascade.cheap, x.rt.cascade.strong} {
		res, err := s.deps.Budgets.Reserve(x.ctx, x.keyID, s.cat.Models[name].Price.Cost(prompt, x.preq.MaxTokens))
		if err != nil {
			s.releaseHolds(x, "")
			return err
		}
		x.holds[i] = hold{model: name, res: res}
	}
	return nil
}

// takeHold hands over the reservation held for model, if any.
func (x *exchange) takeHold(model string) *spend.Reservation {
	for i := range x.holds {
		if h := &x.holds[i]; h.res != nil && h.model == model {
			res := h.res
			*h = hold{}
			return res
		}
	}
	return nil
}

// releaseHolds frees the reservations no call used, except keep's.
func (s *Server) releaseHolds(x *exchange, keep string) {
	for i := range x.holds {
		h := &x.holds[i]
		if h.res == nil || h.model == keep {
			continue
		}
		if err := h.res.Release(x.ctx); err != nil {
			s.log.Error("could not release budget reservation", "request_id", x.id, "error", err)
		}
		*h = hold{}
	}
}

// replay streams a buffered answer: one chunk with all of it (a refusal
// and logprobs included, as the unary answer carries them), one with the
// finish reason, then the usual tail.
func (s *Server) replay(x *exchange, resp *provider.Response) {
	sw, enc := s.openSSE(x)
	sw.event(enc.Chunk(provider.Chunk{Text: resp.Text, ToolCalls: resp.ToolCalls, Signature: resp.Signature,
		Refusal: resp.Refusal, Logprobs: resp.Logprobs}))
	s.metrics.ttft.WithLabelValues("chat", x.model).Observe(s.now().Sub(x.start).Seconds())
	sw.event(enc.Chunk(provider.Chunk{FinishReason: resp.FinishReason}))
	s.endStream(x, sw, enc, nil)
}

// cascadeAttrs are a cascade's fields of the request log line.
func (x *exchange) cascadeAttrs(attrs []slog.Attr) []slog.Attr {
	if x.outcome != "" {
		attrs = append(attrs, slog.String("cascade", x.outcome))
	}
	if x.escScored {
		attrs = append(attrs, slog.Float64("escalate_score", x.escScore))
	}
	if x.outcome == spend.CascadeEscalated {
		attrs = append(attrs, slog.Float64("superseded_cost_usd", x.prevCost))
	}
	return attrs
}
