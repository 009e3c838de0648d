package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// exchange is one chat request's state, from arrival to the log line.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context // r's context plus the per-request timeout
	start  time.Time
	id     string
	keyID  string
	req    *openaiapi.ChatRequest
	preq   *provider.Request
	stream bool
	// rt is the router model this request uses from start to finish,
	// whatever reloads happen meanwhile.
	rt *routerState

	// Routing outcome.
	routed       bool
	query        string // the routed text, scored by the router and the verifier
	policy       string
	score        float64
	scored       bool
	drift        float64 // how unlike the router's training queries the query is
	hasDrift     bool    // false when the router cannot tell
	rule, reason string
	chain        []string
	// routerFallback is "classifier" or "rules" when the configured
	// router could not decide and that decided instead.
	routerFallback string

	// Cascade ("router-cascade"); see cascade.go.
	cascade   bool
	cascadeT  float64 // escalation threshold for this request
	outcome   string  // spend.Cascade*, "" until decided
	step      string  // spend.Step* of the call under way
	escScore  float64
	escScored bool
	prevCost  float64 // cost of the superseded cheap call
	holds     [2]hold // budget reserved up front for the cascade's calls

	ops opsState // rate-limit ticket and tokens used; see ops.go

	// Upstream outcome.
	model     string // the model that answered, or the last one tried
	fellFrom  string // first model of the chain when another answered
	usage     provider.Usage
	cost      float64
	attempts  int
	status    int
	errCode   string
	errDetail string
}

// bodyPool recycles request body buffers.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBody returns buf to the pool, emptied, unless an outsized body grew it.
func putBody(buf *bytes.Buffer) {
	if buf.Cap() <= 1<<20 {
		buf.Reset()
		bodyPool.Put(buf)
	}
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Limits.RequestTimeout)
	defer cancel()
	x := &exchange{w: w, r: r, ctx: ctx, start: s.now(), id: newRequestID(), keyID: keyIDFrom(r.Context()), rt: s.rt.Load()}
	w.Header().Set("X-Request-Id", x.id)
	defer s.settleLimits(x) // after finish has recorded every call
	defer s.finish(x)

	if err := s.parse(x); err != nil {
		s.fail(x, err)
		return
	}
	if err := s.plan(x); err != nil {
		s.fail(x, err)
		return
	}
	if err := s.planMedia(x); err != nil {
		s.fail(x, err)
		return
	}
	if err := s.admit(x); err != nil {
		s.fail(x, err)
		return
	}
	switch {
	case x.cascade:
		s.serveCascade(x)
	case x.stream:
		s.serveStream(x)
	default:
		s.serveComplete(x)
	}
}

// parse reads the body under the size limit and converts it.
func (s *Server) parse(x *exchange) error {
	limit := s.cfg.Limits.MaxBodyBytes
	if x.r.ContentLength > limit {
		return apierr.New(apierr.TooLarge, "request body of %d bytes exceeds the %d-byte limit (limits.max_body_bytes)", x.r.ContentLength, limit)
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	defer putBody(buf)
	if _, err := buf.ReadFrom(http.MaxBytesReader(x.w, x.r.Body, limit)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.New(apierr.TooLarge, "request body exceeds the %d-byte limit (limits.max_body_bytes)", limit)
		}
		return apierr.Wrap(apierr.Invalid, err, "could not read the request body")
	}
	req, err := openaiapi.ParseChatRequest(buf.Bytes()) // copies what it keeps
	if err != nil {
		return err
	}
	x.req, x.stream = req, req.Stream
	if x.preq, err = openaiapi.ToProvider(req, ""); err != nil {
		return err
	}
	if x.preq.MaxTokens == 0 {
		// Cap the output so the budget reservation is a true maximum.
		x.preq.MaxTokens = s.cfg.Limits.DefaultMaxTokens
	}
	return nil
}

// plan resolves the requested model: a catalogue name passes through,
// "router" and "router-<threshold>" are routed, "router-cascade" and
// "router-cascade-<threshold>" cascade. It fills x.chain.
func (s *Server) plan(x *exchange) error {
	name := x.req.Model
	if isCascadeModel(name) {
		return s.planCascade(x)
	}
	if !isRouterModel(name) {
		if _, ok := s.cat.Models[name]; !ok {
			return &openaiapi.FieldError{Param: "model", Err: apierr.New(apierr.NotFound,
				"model %q does not exist; use \"router\", \"router-<threshold>\" or one of GET /v1/models", name)}
		}
		x.rule, x.reason = "direct", "model named in request"
		x.chain = s.chainFor(x, name)
		return nil
	}
	threshold, has := x.rt.threshold, x.rt.hasThresh
	if name != "router" {
		t, err := strconv.ParseFloat(strings.TrimPrefix(name, "router-"), 64)
		if err != nil || !(t >= 0 && t <= 1) {
			return &openaiapi.FieldError{Param: "model", Err: apierr.New(apierr.Invalid,
				"model %q: the threshold after \"router-\" must be a number in [0, 1]", name)}
		}
		threshold, has = t, true
	}
	return s.route(x, threshold, has)
}

func isRouterModel(name string) bool {
	return name == "router" || strings.HasPrefix(name, "router-")
}

func (s *Server) route(x *exchange, threshold float64, hasThreshold bool) error {
	x.routed = true
	query := s.routedText(x)
	in := policy.Input{Query: query, Policy: policy.Standard, PromptTokens: (openaiapi.PromptBytes(x.req) + 3) / 4}
	if x.rt.router != nil {
		d, ok, err := s.scoreQuery(x, x.rt.router, query)
		if err != nil {
			return err
		}
		if ok {
			x.score, x.scored = d.Score, true
			x.drift, x.hasDrift = d.Drift, d.HasDrift
			in.Policy, in.Score = d.Policy, d.Score
			if hasThreshold {
				in.Policy = policyAt(d, threshold)
				in.HasThreshold, in.Threshold = true, threshold
			}
			learnedChoice(&x.rt.cands, d, threshold, &in)
		}
	}
	if s.deps.Budgets != nil {
		// Cost-aware rules need the spend so far; a counter outage must not
		// stop routing, so it only costs the downgrade rule its input.
		spent, limit, err := s.deps.Budgets.Headroom(x.ctx, x.keyID)
		if err == nil && limit == 0 {
			// No gateway budget: the mapper compares global spend with its
			// own cost_aware.budget_usd.
			spent, err = s.deps.Budgets.Spent(x.ctx, "")
		}
		if err == nil {
			in.Spent, in.Budget = spent, limit
		} else {
			s.log.Warn("budget headroom unavailable for cost-aware routing", "request_id", x.id, "error", err)
		}
	}
	d := s.deps.Mapper.Map(x.ctx, in)
	if _, ok := s.cat.Models[d.Model]; !ok {
		return apierr.New(apierr.Internal, "policy mapping chose model %q, which is not in the catalogue", d.Model)
	}
	x.policy, x.rule, x.reason = in.Policy, d.Rule, d.Reason
	s.metrics.decisions.WithLabelValues(x.policy, d.Model, d.Rule).Inc()
	x.chain = s.chainFor(x, d.Model)
	return nil
}

// routedText is what the router scores: the last user message, or the
// whole conversation with router.score_conversation.
func (s *Server) routedText(x *exchange) string {
	if s.cfg.Router.ScoreConversation {
		x.query = openaiapi.ConversationText(x.req)
	} else {
		x.query = openaiapi.LastUserText(x.req)
	}
	return x.query
}

// policyAt re-derives the policy at another threshold from a decision, with
// the router's rule: Complex at or above it, otherwise the likelier of
// Standard and Ambiguous.
func policyAt(d router.Decision, t float64) string {
	if d.Score >= t {
		return policy.Complex
	}
	if d.Probs[policy.Ambiguous] > d.Probs[policy.Standard] {
		return policy.Ambiguous
	}
	return policy.Standard
}

// chainFor is model followed by its configured fallbacks that x's key
// may use. Chains are built once in New; callers only read them.
func (s *Server) chainFor(x *exchange, model string) []string {
	c, ok := s.chains[model]
	if !ok {
		c = buildChain(model, s.cfg.Fallbacks[model])
	}
	return s.allowedChain(x.keyID, c)
}

func buildChain(model string, fb []string) []string {
	chain := make([]string, 0, 1+len(fb))
	return append(append(chain, model), fb...)
}

// reservePrompt bounds the prompt's tokens from its size: about one token
// per three bytes plus the chat format's per-message overhead, deliberately
// above the usual four bytes per token so reservations stay maxima.
func reservePrompt(req *openaiapi.ChatRequest) int {
	return (openaiapi.PromptBytes(req)+2)/3 + 4*len(req.Messages) + 3
}

// clientErr turns context errors into what they mean for this request: the
// client went away (499, nothing to write) or our deadline passed (504).
func (s *Server) clientErr(x *exchange, err error) error {
	if x.r.Context().Err() != nil {
		return errClientGone
	}
	if errors.Is(x.ctx.Err(), context.DeadlineExceeded) {
		return apierr.Wrap(apierr.Timeout, err, "request timed out after %s (limits.request_timeout)", s.cfg.Limits.RequestTimeout)
	}
	return err
}

var errClientGone = errors.New("client closed the connection")

// statusClientGone is nginx's convention for "client closed request".
const statusClientGone = 499

// fail answers with an OpenAI error, unless the client is gone.
func (s *Server) fail(x *exchange, err error) {
	err = s.clientErr(x, err)
	x.errDetail = err.Error()
	if errors.Is(err, errClientGone) {
		x.status, x.errCode = statusClientGone, "client_gone"
		return
	}
	x.errCode = string(apierr.CodeOf(err))
	x.status = s.writeError(x.w, err)
}

// finish flushes the response, then records and logs the request; the
// client has its answer before the spend store is written.
func (s *Server) finish(x *exchange) {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	if x.status != statusClientGone {
		_ = http.NewResponseController(x.w).Flush()
	}
	lat := s.now().Sub(x.start)
	s.metrics.request("/v1/chat/completions", x.status)
	status := "ok"
	if x.errCode != "" {
		status = x.errCode
	}
	s.releaseHolds(x, "")
	s.record(x, x.spendRecord(status, lat))
	s.capture(x)
	level := slog.LevelInfo
	if x.status >= 500 {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("request_id", x.id), slog.String("key_id", x.keyID),
		slog.String("requested", requested(x)), slog.Bool("stream", x.stream),
		slog.String("policy", x.policy), slog.String("model", x.model),
		slog.String("rule", x.rule), slog.String("reason", x.reason),
		slog.Int("input_tokens", x.usage.InputTokens), slog.Int("output_tokens", x.usage.BilledOutput()),
		slog.Float64("cost_usd", x.totalCost()), slog.Int("attempts", x.attempts),
		slog.Float64("latency_ms", float64(lat.Microseconds())/1000), slog.Int("status", x.status),
	}
	if x.scored {
		attrs = append(attrs, slog.Float64("score", x.score))
	}
	attrs = x.routerVersionAttrs(attrs)
	if x.hasDrift {
		attrs = append(attrs, slog.Float64("drift", x.drift))
		s.metrics.drift.Observe(x.drift)
	}
	if x.fellFrom != "" {
		attrs = append(attrs, slog.String("fallback_from", x.fellFrom))
	}
	if x.routerFallback != "" {
		attrs = append(attrs, slog.String("router_fallback", x.routerFallback))
	}
	if x.cascade {
		attrs = x.cascadeAttrs(attrs)
	}
	if x.usage.Estimated || x.usage.Missing {
		attrs = append(attrs, slog.Bool("usage_estimated", true))
	}
	if x.errDetail != "" {
		attrs = append(attrs, slog.String("error", x.errDetail))
	}
	s.log.LogAttrs(context.WithoutCancel(x.ctx), level, "chat completion", attrs...)
}

// spendRecord is the record of x's current call: the request's only one,
// or a cascade's last (recordStep writes the superseded cheap call's).
func (x *exchange) spendRecord(status string, lat time.Duration) spend.Record {
	r := spend.Record{
		Time: x.start.UTC(), RequestID: x.id, KeyID: x.keyID, Model: x.model, Policy: x.policy, Rule: x.rule,
		InputTokens: x.usage.InputTokens, OutputTokens: x.usage.OutputTokens, ThinkingTokens: x.usage.ThinkingTokens,
		Estimated: x.usage.Estimated || x.usage.Missing, CostUSD: x.cost, Status: status, LatencyMS: lat.Milliseconds(),
	}
	if x.outcome != "" {
		r.Cascade, r.CascadeStep = x.outcome, x.step
	}
	r.RouterVersion = x.routerVersion()
	if x.hasDrift {
		r.Drift, r.HasDrift, r.OutOfDistribution = x.drift, true, router.OutOfDistribution(x.drift)
	}
	return r
}

// totalCost is what the request cost, a cascade's superseded call included.
func (x *exchange) totalCost() float64 { return x.cost + x.prevCost }

// enqueuer is a store that can queue a record without waiting for its
// commit (sqlite.Store): the handler, and with it the client's keep-alive
// connection, is then free as soon as the answer is sent. The store
// commits the queue on Close, which Open's close runs after serving has
// drained, so graceful shutdown still records every request.
type enqueuer interface {
	Enqueue(ctx context.Context, r spend.Record) error
}

// record hands r to the store. The bound only matters when the store's
// queue is full: a stuck database must not hold requests forever.
func (s *Server) record(x *exchange, r spend.Record) {
	s.account(x, &r)
	if s.deps.Store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.ctx), 5*time.Second)
	defer cancel()
	var err error
	if q, ok := s.deps.Store.(enqueuer); ok {
		err = q.Enqueue(ctx, r)
	} else {
		err = s.deps.Store.Record(ctx, r)
	}
	if err != nil {
		s.log.Error("could not record spend", "request_id", x.id, "key_id", x.keyID, "model", x.model, "cost_usd", x.cost, "error", err)
	}
}

func requested(x *exchange) string {
	if x.req == nil {
		return ""
	}
	return x.req.Model
}
