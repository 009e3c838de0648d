package main

import (
	"context"
	"fmt"
	"math"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
)

// routeCall is one model call of `route --end-to-end`.
type routeCall struct {
	Model        string  `json:"model"`
	Answer       string  `json:"answer"`
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	// EscalateScore is the verifier's score of this answer (N-model
	// cascades only).
	EscalateScore *float64 `json:"escalate_score,omitempty"`
}

// answerFunc asks a catalogue model one query.
type answerFunc func(ctx context.Context, model, query string) (routeCall, error)

// routeCascade is the model's verifier with the threshold route applies.
type routeCascade struct {
	v         *cascade.Verifier
	threshold float64
}

// routeVerifier returns the verifier when any input or flag needs one, and
// says which line or flag asked for it when the model has none. It runs
// before any output, so such a run prints nothing.
func routeVerifier(m *router.Model, o routeOptions, inputs []routeInput) (*routeCascade, error) {
	answered, hasAnswer := firstAnswered(inputs)
	overridden := !math.IsNaN(o.cascadeThreshold)
	if !hasAnswer && !o.cascade && !overridden {
		return nil, nil
	}
	if m.Cascade == nil {
		const why = "model %s has no cascade verifier (train it on SFT rows that carry cheap_answer)"
		switch {
		case hasAnswer:
			return nil, fmt.Errorf("%s: cheap_answer given, but "+why, answered.where(), o.modelPath)
		case o.cascade:
			return nil, fmt.Errorf("--cascade: "+why, o.modelPath)
		default:
			return nil, fmt.Errorf("--cascade-threshold: "+why, o.modelPath)
		}
	}
	if o.cascade && hasAnswer {
		return nil, fmt.Errorf("%s: cheap_answer given, but --cascade asks the cheap model itself; drop one of them", answered.where())
	}
	c := &routeCascade{v: m.Cascade, threshold: m.Cascade.Threshold()}
	if overridden {
		c.threshold = o.cascadeThreshold
	}
	return c, nil
}

// judge records the verifier's verdict on a cheap answer in res.
func (c *routeCascade) judge(res *routeResult, answer string) {
	s := c.v.Score(res.Query, answer)
	esc := s >= c.threshold
	res.EscalateScore, res.Escalate, res.CascadeThreshold = &s, &esc, &c.threshold
}

// runCascade answers res.Query as a cascade: the cheap model first, unless
// the query score reaches the verifier's skip threshold, then the strong
// model if the verifier escalates. res.Model and res.Answer become the
// answer returned; the token and cost totals cover every call.
func (r *routeRun) runCascade(ctx context.Context, res *routeResult) error {
	calls := make([]routeCall, 0, 2)
	skip, ok := r.verifier.v.SkipThreshold()
	res.SkippedCheap = ok && res.Score >= skip
	if !res.SkippedCheap {
		cheap, err := r.answer(ctx, r.m.CheapModel(), res.Query)
		if err != nil {
			return fmt.Errorf("cascade: cheap answer with %s: %w", r.m.CheapModel(), err)
		}
		if err := scorable(cheap, res.Query); err != nil {
			return err
		}
		res.Cheap = &cheap
		calls = append(calls, cheap)
		r.verifier.judge(res, cheap.Answer)
	}
	if res.SkippedCheap || *res.Escalate {
		strong, err := r.answer(ctx, r.m.StrongModel(), res.Query)
		if err != nil {
			return fmt.Errorf("cascade: strong answer with %s: %w", r.m.StrongModel(), err)
		}
		res.Strong = &strong
		calls = append(calls, strong)
	}
	res.settle(calls)
	return nil
}

// scorable refuses an answer the verifier cannot read: a replayed outcome
// grade is not an answer, and scoring it would pass a made-up verdict off
// as real.
func scorable(call routeCall, query string) error {
	if _, isOutcome := grade.ParseRecordedOutcome(call.Answer); isOutcome {
		return fmt.Errorf("cascade: %s has only a recorded outcome, no answer text, for %q; the verifier cannot score it",
			call.Model, routeSnippet(query, 60))
	}
	return nil
}

// settle makes a cascade's last call res's answer, and its token and cost
// totals cover every call.
func (res *routeResult) settle(calls []routeCall) {
	final := calls[len(calls)-1]
	res.Model, res.Answer = final.Model, final.Answer
	for _, c := range calls {
		res.InputTokens += c.InputTokens
		res.OutputTokens += c.OutputTokens
		res.CostUSD += c.CostUSD
	}
}

// routeAnswerer resolves models through the provider registry and prices
// answers with the catalogue.
func routeAnswerer(env *Env, cfgPath string) (answerFunc, error) {
	cat, err := catalog.LoadCatalogue(cfgPath)
	if err != nil {
		return nil, err
	}
	reg, err := newModelRegistry(cat, env.Getenv)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, model, q string) (routeCall, error) {
		if err := reg.CheckKey(model); err != nil {
			return routeCall{}, err
		}
		p, cm, err := reg.Get(model)
		if err != nil {
			return routeCall{}, err
		}
		resp, err := p.Complete(ctx, &provider.Request{Model: cm.UpstreamModel, Messages: []provider.Message{{Role: "user", Content: q}}})
		if err != nil {
			return routeCall{}, err
		}
		u := resp.Usage
		return routeCall{Model: model, Answer: resp.Text, InputTokens: u.InputTokens, OutputTokens: u.BilledOutput(),
			CostUSD: cm.Price.Cost(u.InputTokens, u.BilledOutput())}, nil
	}, nil
}
