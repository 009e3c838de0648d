// Package rulerouter adapts the hybrid policy rules to router.Router, so the
// rules can be evaluated as a baseline next to the trained router. It lives
// apart from package policy because router's dependencies import policy.
package rulerouter

import (
	"context"

	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/router"
)

// Router scores a query 1 when the hybrid rules pick the strong model and 0
// otherwise. It sees no spend, so the budget rules never fire.
type Router struct {
	m *policy.Hybrid
}

// New builds the baseline from a mapping config (zero: defaults).
func New(cfg policy.Config) (*Router, error) {
	m, err := policy.NewHybrid(cfg)
	if err != nil {
		return nil, err
	}
	return &Router{m: m}, nil
}

// Name implements router.Router.
func (r *Router) Name() string { return "rules" }

// Route implements router.Router. The policy fed to the rules is
// Standard_Query, so only the keyword, math and length rules can lift a
// query to the strong model.
func (r *Router) Route(ctx context.Context, query string) (router.Decision, error) {
	if err := ctx.Err(); err != nil {
		return router.Decision{}, err
	}
	d := r.m.Map(ctx, policy.Input{Query: query, Policy: policy.Standard})
	if d.Model == r.m.StrongModel() {
		return router.Decision{Policy: policy.Complex, Score: 1, Probs: probs(policy.Complex)}, nil
	}
	return router.Decision{Policy: policy.Standard, Score: 0, Probs: probs(policy.Standard)}, nil
}

// Explain returns the mapper's decision for query, for logs and reports.
func (r *Router) Explain(ctx context.Context, query string) policy.Decision {
	return r.m.Map(ctx, policy.Input{Query: query, Policy: policy.Standard})
}

func probs(label string) map[string]float64 {
	p := make(map[string]float64, len(policy.Labels))
	for _, l := range policy.Labels {
		p[l] = 0
	}
	p[label] = 1
	return p
}

var _ router.Router = (*Router)(nil)
