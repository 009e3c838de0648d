package eval

import (
	"math"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
)

// CountStandIns counts the rows whose cheap answer is a recorded-outcome
// stand-in. Such an answer states its grade outright, so a verifier reading
// it would look perfect: the cascade is only evaluated without them.
func CountStandIns(rows []oracle.Row) int {
	var n int
	for _, r := range rows {
		if _, ok := grade.ParseRecordedOutcome(r.Cheap.Answer); ok {
			n++
		}
	}
	return n
}

// NewCascadeInput scores every row's cheap answer with the learned verifier
// v and with the rule-based cascade. query is the trained router's run: the
// query-only row of the section, and the scores the pre-routing hybrid
// skips by. latencySource is "replay" or "live".
func NewCascadeInput(v *cascade.Verifier, rows []oracle.Row, query RouterRun, latencySource string) CascadeInput {
	in := CascadeInput{
		Verifier: v.Meta.Metrics.Chosen, Threshold: v.Threshold(), ThresholdSource: v.Meta.ThresholdSource,
		Escalate: make([]float64, len(rows)), Rule: make([]float64, len(rows)),
		Query: query, SkipShares: DefaultSkipShares, ModelSkipThreshold: math.NaN(), LatencySource: latencySource,
	}
	if t, ok := v.SkipThreshold(); ok {
		in.ModelSkipThreshold = t
	}
	for i, r := range rows {
		in.Escalate[i] = v.Score(r.Query, r.Cheap.Answer)
		in.Rule[i] = cascade.RuleScore(r.Query, r.Cheap.Answer)
	}
	return in
}
