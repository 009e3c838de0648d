package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/llmrouter/llmrouter/internal/quality"
)

// HybridMargin is how much lower, relatively, a hybrid's cost at 95% of
// strong-only accuracy must be for the verdict to say pre-routing helps:
// smaller differences are within what one test split can tell apart.
const HybridMargin = 0.01

// HybridResult is the cascade with pre-routing: queries whose query-router
// score is at or above SkipThreshold go straight to the strong model,
// skipping the cheap call; the rest cascade.
//
// Its curve adds strong calls in the hybrid's order: first the skipped
// queries by falling query score (those points are a query-only router,
// with no escalation yet; their threshold is null), then the rest by
// falling escalate score (threshold = the escalate threshold). APGR and
// share @95% are read along it, so they compare with the pure cascade's.
type HybridResult struct {
	Name string `json:"name"`
	// SkipShareTarget is the share asked for; null for the model's own skip
	// threshold. SkipShare is the share the threshold skips on the test
	// questions (more than the target on ties).
	SkipShareTarget Float `json:"skip_share_target"`
	SkipThreshold   Float `json:"skip_threshold"`
	SkipShare       Float `json:"skip_share"`
	// AtThreshold is the hybrid with the cascade's calibrated threshold on
	// the queries not skipped.
	AtThreshold      Mix   `json:"at_threshold"`
	APGR             Float `json:"apgr"`
	StrongShareAt95  Float `json:"strong_share_at_95"`
	CostPerQueryAt95 Float `json:"cost_per_query_at_95_usd"`
	CostSavingsAt95  Float `json:"cost_savings_at_95"`
	Curve            Curve `json:"curve"`
}

// Hybrid is the pre-routing comparison: each skip share against the pure
// cascade, at the same accuracy target (95% of strong-only).
type Hybrid struct {
	Results []HybridResult `json:"results"`
	// Helps is true when a skip share lowers the cost per query at 95% of
	// strong-only accuracy by at least HybridMargin below the pure cascade.
	Helps   bool   `json:"helps"`
	Verdict string `json:"verdict"`
}

type skipConfig struct {
	name              string
	target, threshold float64
}

func (b *basis) hybrid(in CascadeInput, pure CascadeResult) (Hybrid, error) {
	var cfgs []skipConfig
	for _, s := range in.SkipShares {
		cfgs = append(cfgs, skipConfig{fmt.Sprintf("skip %.0f%%", 100*s), s, quality.TopShareThreshold(in.Query.Scores, s)})
	}
	if !math.IsNaN(in.ModelSkipThreshold) {
		cfgs = append(cfgs, skipConfig{"skip at the model's threshold", math.NaN(), in.ModelSkipThreshold})
	}
	var h Hybrid
	for _, c := range cfgs {
		r, err := b.hybridAt(in, c.threshold)
		if err != nil {
			return h, fmt.Errorf("hybrid %s: %w", c.name, err)
		}
		r.Name, r.SkipShareTarget = c.name, Float(c.target)
		h.Results = append(h.Results, r)
	}
	h.Helps, h.Verdict = hybridVerdict(pure, h.Results)
	return h, nil
}

func (b *basis) hybridAt(in CascadeInput, skipThreshold float64) (HybridResult, error) {
	n := len(b.qs)
	skip := make([]bool, n)
	var skipped int
	for i, q := range in.Query.Scores {
		if q >= skipThreshold {
			skip[i] = true
			skipped++
		}
	}
	hb := b.cascadeCosts(skip)
	cs, err := hb.curveStats(hybridOrder(in.Query.Scores, in.Escalate, skip))
	if err != nil {
		return HybridResult{}, err
	}
	for j := range cs.Curve.Points {
		if cs.Curve.Points[j].StrongCalls <= skipped {
			cs.Curve.Points[j].Threshold = NaN()
		}
	}
	dec := make([]bool, n)
	for i := range dec {
		dec[i] = skip[i] || in.Escalate[i] >= in.Threshold
	}
	r := HybridResult{
		SkipThreshold: Float(skipThreshold), SkipShare: Float(float64(skipped) / float64(n)),
		AtThreshold: hb.mixOf(dec), APGR: cs.APGR, StrongShareAt95: cs.StrongShareAt95, Curve: cs.Curve,
	}
	total := math.NaN()
	if cs.StrongShareAt95.Valid() {
		_, total = cs.Curve.At(float64(cs.StrongShareAt95) * float64(n))
	}
	r.CostPerQueryAt95, r.CostSavingsAt95 = b.perQueryAndSavings(total)
	return r, nil
}

// hybridOrder returns scores whose falling order is the hybrid's: every
// skipped query above every other, by query score, then the rest by
// escalate score.
func hybridOrder(query, escalate []float64, skip []bool) []float64 {
	top, low := math.Inf(-1), math.Inf(1)
	for i := range query {
		top = math.Max(top, escalate[i])
		if skip[i] {
			low = math.Min(low, query[i])
		}
	}
	offset := top - low + 1
	out := make([]float64, len(query))
	for i := range out {
		out[i] = escalate[i]
		if skip[i] {
			out[i] = query[i] + offset
		}
	}
	return out
}

// hybridVerdict says plainly whether any skip share beats the pure cascade
// at 95% of strong-only accuracy.
func hybridVerdict(pure CascadeResult, hs []HybridResult) (bool, string) {
	base := float64(pure.CostPerQueryAt95)
	var cands []HybridResult
	for _, h := range hs {
		if h.CostPerQueryAt95.Valid() {
			cands = append(cands, h)
		}
	}
	if len(cands) == 0 || !(base > 0) {
		return false, "no verdict: the cost at 95% of strong-only accuracy is undefined or zero"
	}
	best := slices.MinFunc(cands, func(a, b HybridResult) int { return cmp.Compare(a.CostPerQueryAt95, b.CostPerQueryAt95) })
	bc := float64(best.CostPerQueryAt95)
	rel := 1 - bc/base
	detail := fmt.Sprintf("best %s: $%.5f per query at 95%% of strong-only accuracy (APGR %.3f) vs the pure cascade's $%.5f (APGR %.3f)",
		best.Name, bc, float64(best.APGR), base, float64(pure.APGR))
	switch {
	case rel >= HybridMargin:
		return true, fmt.Sprintf("pre-routing helps, %.1f%% cheaper: %s", 100*rel, detail)
	case rel > -HybridMargin:
		return false, fmt.Sprintf("pre-routing does not help (within %.0f%%): %s", 100*HybridMargin, detail)
	}
	return false, fmt.Sprintf("pre-routing does not help, every skip share costs more: %s", detail)
}
