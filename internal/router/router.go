package router

import (
	"context"
	"errors"
)

// ErrUnavailable is wrapped by a router that could not decide and has no
// fallback router of its own; the caller should route by its rules instead
// of failing the request.
var ErrUnavailable = errors.New("router unavailable")

// Decision is a router's verdict on one query.
type Decision struct {
	// Policy is the most likely policy label.
	Policy string `json:"policy"`
	// Score estimates the benefit of the strong model; higher means the
	// strong model is more needed. Compare it with a threshold.
	Score float64 `json:"score"`
	// Probs maps each policy label to its probability.
	Probs map[string]float64 `json:"probabilities"`
	// Model is the N-model router's choice; empty for a two-model router,
	// whose Policy maps to a model.
	Model string `json:"model,omitempty"`
	// Candidates are the N-model router's estimates, in candidate order.
	Candidates []Estimate `json:"candidates,omitempty"`
	// Drift is how unlike the training queries the query is, in [0, 1]
	// (1 = nothing like them; see DriftThreshold). HasDrift is false for
	// a router that cannot tell (random baseline, rule mappers).
	Drift    float64 `json:"drift"`
	HasDrift bool    `json:"has_drift"`
	// Fallback says why a fallback router decided in place of the one
	// asked ("timeout" or "error"); empty when the router asked decided.
	Fallback string `json:"fallback,omitempty"`
}

// Router scores queries. Implementations must be safe for concurrent use.
type Router interface {
	Name() string
	Route(ctx context.Context, query string) (Decision, error)
}
