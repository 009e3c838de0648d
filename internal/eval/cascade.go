package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Names of the cascade section's rows. The query-only router's row is its
// own name with QueryOnlySuffix.
const (
	NameCascade          = "cascade (learned)"
	NameRuleCascade      = "cascade (rules)"
	NameRandomEscalation = "random escalation"
	NameOracleVerifier   = "oracle verifier"
	QueryOnlySuffix      = " (query-only)"
)

// KindCascade marks a cascade row: the cheap model answers every query and
// the strong model is asked too when the escalate score reaches the
// threshold.
const KindCascade = "cascade"

// DefaultSkipShares are the pre-routing shares the hybrid is evaluated at.
var DefaultSkipShares = []float64{0.10, 0.20, 0.30}

// CascadeInput is what the cascade evaluation needs besides the questions;
// every slice is aligned with them.
type CascadeInput struct {
	// Verifier names the learned verifier (its chosen setting).
	Verifier string
	// Escalate is the learned verifier's escalate score of each cheap
	// answer; Threshold its calibrated operating point (escalate iff
	// score >= Threshold).
	Escalate        []float64
	Threshold       float64
	ThresholdSource string
	// Rule is the rule-based cascade's score (0 or 1) of each cheap answer.
	Rule []float64
	// Query is the query-only router as evaluated next to the cascade; its
	// scores also pick the queries the hybrid sends straight to the strong
	// model.
	Query RouterRun
	// SkipShares are the hybrid's pre-routing shares (nil: none).
	SkipShares []float64
	// ModelSkipThreshold is the query score the model itself skips the
	// cheap call at; NaN when its pre-routing is off.
	ModelSkipThreshold float64
	// LatencySource is "replay" or "live": replayed latencies are the
	// replay provider's own, near zero, not the models'.
	LatencySource string
}

// CascadeResult is one row of the cascade comparison. Its strong_share is
// the share of queries with a strong call (escalated, skipped or routed).
type CascadeResult struct {
	Result
	// CheapCallShare is the share of queries that pay for a cheap call: 1
	// for a cascade, 1 − strong share for a query-only router.
	CheapCallShare Float `json:"cheap_call_share"`
	// CostPerQueryAt95 is the expected cost per query at the strong-call
	// share that reaches 95% of strong-only accuracy along the curve;
	// CostSavingsAt95 compares it with strong-only.
	CostPerQueryAt95 Float `json:"cost_per_query_at_95_usd"`
	CostSavingsAt95  Float `json:"cost_savings_at_95"`
}

// CascadeSection is comparison.json's "cascade" section.
type CascadeSection struct {
	Verifier        string `json:"verifier"`
	Threshold       Float  `json:"threshold"`
	ThresholdSource string `json:"threshold_source,omitempty"`
	// Results: the learned cascade, the rule-based cascade, random
	// escalation at the learned cascade's share, the query-only router, the
	// oracle verifier, cheap-only and strong-only, in that order.
	Results []CascadeResult `json:"results"`
	Latency Latency         `json:"latency"`
	Hybrid  Hybrid          `json:"hybrid"`
}

// Result returns the named row, or nil.
func (s *CascadeSection) Result(name string) *CascadeResult {
	for i := range s.Results {
		if s.Results[i].Name == name {
			return &s.Results[i]
		}
	}
	return nil
}

// Learned returns the learned cascade's row.
func (s *CascadeSection) Learned() *CascadeResult { return s.Result(NameCascade) }

func (in CascadeInput) validate(n int) error {
	if n == 0 {
		return errors.New("the test set is empty")
	}
	if len(in.Escalate) != n || len(in.Rule) != n || len(in.Query.Scores) != n || len(in.Query.Strong) != n {
		return fmt.Errorf("%d escalate scores, %d rule scores, %d query scores, %d query decisions for %d questions",
			len(in.Escalate), len(in.Rule), len(in.Query.Scores), len(in.Query.Strong), n)
	}
	for _, s := range slices.Concat(in.Escalate, in.Rule, in.Query.Scores) {
		if !finite(s) {
			return fmt.Errorf("score %v is not a finite number", s)
		}
	}
	if math.IsNaN(in.Threshold) {
		return errors.New("the cascade threshold is NaN")
	}
	for _, s := range in.SkipShares {
		if !(s >= 0 && s <= 1) {
			return fmt.Errorf("skip share %v outside [0, 1]", s)
		}
	}
	return nil
}

// EvaluateCascade compares the cascade with the rule-based cascade, random
// escalation, the query-only router, the oracle verifier and the two
// single-model baselines, under the cascade cost model: a cascade pays for
// the cheap call on every query and for the strong call on each escalated
// one. It also measures latency and the pre-routing hybrid.
func EvaluateCascade(qs []Question, in CascadeInput) (*CascadeSection, error) {
	if err := in.validate(len(qs)); err != nil {
		return nil, fmt.Errorf("evaluate cascade: %w", err)
	}
	plain := newBasis(qs)
	casc := plain.cascadeCosts(nil)
	learned, err := casc.cascadeResult(NameCascade, in.Escalate, in.Threshold)
	if err != nil {
		return nil, fmt.Errorf("evaluate cascade: %w", err)
	}
	rule, err := casc.cascadeResult(NameRuleCascade, in.Rule, 0.5) // rule scores are 0 or 1
	if err != nil {
		return nil, fmt.Errorf("evaluate cascade: %w", err)
	}
	random, err := casc.randomEscalation(float64(learned.StrongShare))
	if err != nil {
		return nil, fmt.Errorf("evaluate cascade: %w", err)
	}
	query, err := plain.router(in.Query)
	if err != nil {
		return nil, fmt.Errorf("evaluate cascade: query router %s: %w", in.Query.Name, err)
	}
	query.Name, query.Policies, query.RandomSameShare = in.Query.Name+QueryOnlySuffix, nil, nil
	orc, err := casc.oracle()
	if err != nil {
		return nil, fmt.Errorf("evaluate cascade: %w", err)
	}
	orc.Name = NameOracleVerifier
	n := len(qs)
	all := make([]bool, n)
	for i := range all {
		all[i] = true
	}
	cheap := Result{Name: "cheap-only", Kind: "baseline", Threshold: NaN(), Mix: plain.mixOf(make([]bool, n))}
	strong := Result{Name: "strong-only", Kind: "baseline", Threshold: NaN(), Mix: plain.mixOf(all)}
	sec := &CascadeSection{Verifier: in.Verifier, Threshold: Float(in.Threshold), ThresholdSource: in.ThresholdSource}
	for _, r := range []struct {
		res        Result
		cheapCalls float64
	}{
		{learned, 1}, {rule, 1}, {random, 1}, {query, 1 - float64(query.StrongShare)}, {orc, 1}, {cheap, 1}, {strong, 0},
	} {
		sec.Results = append(sec.Results, plain.withAt95(r.res, r.cheapCalls))
	}
	escalated := make([]bool, n)
	for i, s := range in.Escalate {
		escalated[i] = s >= in.Threshold
	}
	sec.Latency = latencyOf(qs, escalated, in.Query.Strong, in.LatencySource)
	if sec.Hybrid, err = plain.hybrid(in, sec.Results[0]); err != nil {
		return nil, fmt.Errorf("evaluate cascade: %w", err)
	}
	return sec, nil
}

// cascadeCosts returns the basis under the cascade cost model: a query sent
// to the strong model costs its cheap call plus its strong call, except
// where skip says the cheap call was skipped (skip may be nil). Savings stay
// measured against strong-only, which never pays for a cheap call.
func (b *basis) cascadeCosts(skip []bool) *basis {
	c := *b
	c.qs = slices.Clone(b.qs)
	c.strongCost = make([]float64, len(b.qs))
	for i := range c.qs {
		c.strongCost[i] = b.cheapCost[i] + b.strongCost[i]
		if skip != nil && skip[i] {
			c.strongCost[i] = b.strongCost[i]
		}
		c.qs[i].Strong.Cost = c.strongCost[i]
	}
	return &c
}

// cascadeResult is a cascade escalating at score >= threshold, with the
// curve of every threshold.
func (b *basis) cascadeResult(name string, scores []float64, threshold float64) (Result, error) {
	cs, err := b.curveStats(scores)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	dec := make([]bool, len(scores))
	for i, s := range scores {
		dec[i] = s >= threshold
	}
	return Result{Name: name, Kind: KindCascade, Threshold: Float(threshold), Mix: b.mixOf(dec), CurveStats: cs}, nil
}

// randomEscalation escalates each query with probability share. One tie
// group of equal scores gives exactly its expected curve, the straight line
// from cheap-only to escalating everything.
func (b *basis) randomEscalation(share float64) (Result, error) {
	cs, err := b.curveStats(make([]float64, len(b.qs)))
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", NameRandomEscalation, err)
	}
	return Result{Name: NameRandomEscalation, Kind: KindCascade, Threshold: NaN(), Mix: b.randomMix(share), CurveStats: cs}, nil
}

// withAt95 adds the cost at 95% of strong-only accuracy. A row with a curve
// reads it at the curve's share for 95%; a single operating point has it
// only if that point already reaches 95%.
func (b *basis) withAt95(r Result, cheapCalls float64) CascadeResult {
	out := CascadeResult{Result: r, CheapCallShare: Float(cheapCalls)}
	total := math.NaN()
	switch {
	case r.CurveStats != nil && r.StrongShareAt95.Valid():
		_, total = r.Curve.At(float64(r.StrongShareAt95) * float64(r.Curve.N))
	case r.CurveStats == nil && float64(r.Accuracy) >= 0.95*b.strongAcc-1e-12:
		total = float64(r.Cost)
	}
	out.CostPerQueryAt95, out.CostSavingsAt95 = b.perQueryAndSavings(total)
	return out
}

// perQueryAndSavings turns a total cost into cost per query and savings
// against strong-only, both undefined for an undefined total.
func (b *basis) perQueryAndSavings(total float64) (perQuery, savings Float) {
	if math.IsNaN(total) {
		return NaN(), NaN()
	}
	savings = NaN()
	if b.strongTotal > 0 {
		savings = Float(1 - total/b.strongTotal)
	}
	return Float(total / float64(len(b.qs))), savings
}
