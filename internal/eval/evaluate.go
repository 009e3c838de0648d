package eval

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
)

// FormatVersion is the version of comparison.json's schema. Bump it when a
// field changes meaning or is removed; adding fields does not bump it.
const FormatVersion = 1

// Outcome is one model's graded answer to one test question.
type Outcome struct {
	// Grade is grade.Correct, grade.Incorrect or grade.NotAttempted.
	Grade string  `json:"grade"`
	Cost  float64 `json:"cost_usd"`
	// LatencyMS is the time the model took to answer.
	LatencyMS float64 `json:"latency_ms,omitempty"`
}

func (o Outcome) correct() float64 {
	if o.Grade == grade.Correct {
		return 1
	}
	return 0
}

// Question is one test question with both models' graded answers.
type Question struct {
	ID     string
	Cheap  Outcome
	Strong Outcome
}

// QuestionsFromRows converts oracle rows (generated on the test split).
func QuestionsFromRows(rows []oracle.Row) []Question {
	out := make([]Question, len(rows))
	for i, r := range rows {
		out[i] = Question{
			ID:     r.ID,
			Cheap:  Outcome{Grade: r.Cheap.Grade, Cost: r.Cheap.Cost, LatencyMS: r.Cheap.LatencyMS},
			Strong: Outcome{Grade: r.Strong.Grade, Cost: r.Strong.Cost, LatencyMS: r.Strong.LatencyMS},
		}
	}
	return out
}

// RouterRun is what one router decided on every test question, aligned with
// the questions.
type RouterRun struct {
	Name string
	// Scores orders queries for the curve (higher → strong more needed).
	Scores []float64
	// Strong is the decision at the router's operating point.
	Strong []bool
	// Policies is the predicted policy label per question (may be nil).
	Policies []string
	// Threshold is the operating threshold (NaN if the router has none).
	Threshold float64
}

// Mix is the expected outcome of a routing: shares of correct, incorrect and
// not-attempted answers, and cost. SimpleQA metrics derive from it.
type Mix struct {
	StrongShare Float `json:"strong_share"`
	// Accuracy is correct ÷ all (SimpleQA's is_correct).
	Accuracy               Float `json:"accuracy"`
	IncorrectShare         Float `json:"incorrect_share"`
	NotAttemptedShare      Float `json:"not_attempted_share"`
	AccuracyGivenAttempted Float `json:"accuracy_given_attempted"`
	FScore                 Float `json:"f_score"`
	PGR                    Float `json:"pgr"`
	Cost                   Float `json:"cost_usd"`
	CostPerQuery           Float `json:"cost_per_query_usd"`
	CostSavings            Float `json:"cost_savings"`
}

// PolicyStat is the count and routed accuracy of one predicted policy.
type PolicyStat struct {
	Count    int   `json:"count"`
	Share    Float `json:"share"`
	Accuracy Float `json:"accuracy"`
}

// CurveStats are the threshold-free metrics of a score.
type CurveStats struct {
	APGR            Float `json:"apgr"`
	AUC             Float `json:"auc"`
	StrongShareAt80 Float `json:"strong_share_at_80"`
	StrongShareAt90 Float `json:"strong_share_at_90"`
	StrongShareAt95 Float `json:"strong_share_at_95"`
	Curve           Curve `json:"curve"`
}

// Result is one router or baseline in comparison.json.
type Result struct {
	Name string `json:"name"`
	// Kind is "router" or "baseline".
	Kind      string `json:"kind"`
	Threshold Float  `json:"threshold"`
	Mix
	// RandomSameShare is a random router sending the same share to the
	// strong model (expected value); routers only.
	RandomSameShare *Mix                  `json:"random_same_share,omitempty"`
	Policies        map[string]PolicyStat `json:"policies,omitempty"`
	*CurveStats
}

// Models names the two models compared.
type Models struct {
	Cheap  string `json:"cheap"`
	Strong string `json:"strong"`
	Judge  string `json:"judge,omitempty"`
}

// Comparison is comparison.json.
type Comparison struct {
	FormatVersion int      `json:"format_version"`
	Benchmark     string   `json:"benchmark"`
	TestFile      string   `json:"test_file,omitempty"`
	N             int      `json:"n"`
	Models        Models   `json:"models"`
	Baselines     []Result `json:"baselines"`
	Routers       []Result `json:"routers"`
	// Cascade is present when the model has a cascade verifier and the
	// test answers are real texts it can read.
	Cascade *CascadeSection `json:"cascade,omitempty"`
	// Multi is present for an N-model router.
	Multi *MultiSection `json:"multi,omitempty"`
	// Drift is how unlike the trained router's training queries the test
	// queries are; absent for a router that cannot tell.
	Drift *DriftSection `json:"drift,omitempty"`
}

// Options carries descriptive fields copied into the comparison.
type Options struct {
	Benchmark string
	TestFile  string
	Models    Models
}

// Evaluate computes every metric for the routers and the baselines.
func Evaluate(qs []Question, runs []RouterRun, opt Options) (*Comparison, error) {
	n := len(qs)
	if n == 0 {
		return nil, errors.New("evaluate: the test set is empty")
	}
	for _, r := range runs {
		if len(r.Scores) != n || len(r.Strong) != n || (r.Policies != nil && len(r.Policies) != n) {
			return nil, fmt.Errorf("evaluate: router %s has %d scores, %d decisions, %d policies for %d questions", r.Name, len(r.Scores), len(r.Strong), len(r.Policies), n)
		}
	}
	base := newBasis(qs)
	cmp := &Comparison{
		FormatVersion: FormatVersion, Benchmark: opt.Benchmark, TestFile: opt.TestFile,
		N: n, Models: opt.Models,
	}
	all := make([]bool, n)
	for i := range all {
		all[i] = true
	}
	cheap := Result{Name: "cheap-only", Kind: "baseline", Threshold: NaN(), Mix: base.mixOf(make([]bool, n))}
	strong := Result{Name: "strong-only", Kind: "baseline", Threshold: NaN(), Mix: base.mixOf(all)}
	orc, err := base.oracle()
	if err != nil {
		return nil, err
	}
	cmp.Baselines = []Result{cheap, strong, orc}
	for _, r := range runs {
		res, err := base.router(r)
		if err != nil {
			return nil, fmt.Errorf("evaluate: router %s: %w", r.Name, err)
		}
		cmp.Routers = append(cmp.Routers, res)
	}
	return cmp, nil
}

// basis holds per-question vectors shared by every router.
type basis struct {
	qs                    []Question
	cheapC, strongC       []float64
	cheapCost, strongCost []float64
	cheapAcc, strongAcc   float64
	strongTotal           float64
}

type gradeShares struct{ correct, incorrect, notAttempted, cost float64 }

func newBasis(qs []Question) *basis {
	n := len(qs)
	b := &basis{qs: qs, cheapC: make([]float64, n), strongC: make([]float64, n),
		cheapCost: make([]float64, n), strongCost: make([]float64, n)}
	for i, q := range qs {
		b.cheapC[i], b.strongC[i] = q.Cheap.correct(), q.Strong.correct()
		b.cheapCost[i], b.strongCost[i] = q.Cheap.Cost, q.Strong.Cost
		b.cheapAcc += b.cheapC[i] / float64(n)
		b.strongAcc += b.strongC[i] / float64(n)
		b.strongTotal += q.Strong.Cost
	}
	return b
}

// shares returns expected grade shares and total cost when question i goes
// to the strong model with probability p(i).
func (b *basis) shares(p func(int) float64) gradeShares {
	var g gradeShares
	n := float64(len(b.qs))
	for i, q := range b.qs {
		w := p(i)
		for _, part := range []struct {
			o Outcome
			w float64
		}{{q.Cheap, 1 - w}, {q.Strong, w}} {
			switch part.o.Grade {
			case grade.Correct:
				g.correct += part.w / n
			case grade.NotAttempted:
				g.notAttempted += part.w / n
			default:
				g.incorrect += part.w / n
			}
			g.cost += part.w * part.o.Cost
		}
	}
	return g
}

func (b *basis) mixFromShares(share float64, g gradeShares) Mix {
	m := Mix{
		StrongShare:       Float(share),
		Accuracy:          Float(g.correct),
		IncorrectShare:    Float(g.incorrect),
		NotAttemptedShare: Float(g.notAttempted),
		PGR:               Float(PGR(g.correct, b.cheapAcc, b.strongAcc)),
		Cost:              Float(g.cost),
		CostPerQuery:      Float(g.cost / float64(len(b.qs))),
		CostSavings:       NaN(),
	}
	m.AccuracyGivenAttempted = ratio(g.correct, g.correct+g.incorrect)
	m.FScore = harmonic(float64(m.Accuracy), float64(m.AccuracyGivenAttempted))
	if b.strongTotal > 0 {
		m.CostSavings = Float(1 - g.cost/b.strongTotal)
	}
	return m
}

func (b *basis) mixOf(strong []bool) Mix {
	var k int
	for _, s := range strong {
		if s {
			k++
		}
	}
	g := b.shares(func(i int) float64 {
		if strong[i] {
			return 1
		}
		return 0
	})
	return b.mixFromShares(float64(k)/float64(len(b.qs)), g)
}

// randomMix is a random router sending share of queries to strong: each
// query goes strong with probability share, so the expectation is exact.
func (b *basis) randomMix(share float64) Mix {
	return b.mixFromShares(share, b.shares(func(int) float64 { return share }))
}

func ratio(a, b float64) Float {
	if b <= 0 {
		return NaN()
	}
	return Float(a / b)
}

// harmonic is the F-score: undefined if either side is, 0 if both are 0.
func harmonic(a, b float64) Float {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return NaN()
	case a+b <= 0:
		return 0
	}
	return Float(2 * a * b / (a + b))
}

func (b *basis) curveStats(scores []float64) (*CurveStats, error) {
	c, err := NewCurve(CurveInput{Scores: scores, CheapCorrect: b.cheapC, StrongCorrect: b.strongC,
		CheapCost: b.cheapCost, StrongCost: b.strongCost})
	if err != nil {
		return nil, err
	}
	return &CurveStats{
		APGR:            Float(c.APGR()),
		AUC:             Float(AUC(scores, b.cheapC, b.strongC)),
		StrongShareAt80: Float(c.StrongShareAt(0.80)),
		StrongShareAt90: Float(c.StrongShareAt(0.90)),
		StrongShareAt95: Float(c.StrongShareAt(0.95)),
		Curve:           c,
	}, nil
}

// oracle routes to strong exactly when cheap is wrong and strong right; its
// curve orders queries by strong − cheap correctness, the best possible
// order, so its APGR is an upper bound (and can exceed 1).
func (b *basis) oracle() (Result, error) {
	n := len(b.qs)
	scores := make([]float64, n)
	dec := make([]bool, n)
	for i := range scores {
		scores[i] = b.strongC[i] - b.cheapC[i]
		dec[i] = scores[i] > 0
	}
	cs, err := b.curveStats(scores)
	if err != nil {
		return Result{}, err
	}
	return Result{Name: "oracle", Kind: "baseline", Threshold: NaN(), Mix: b.mixOf(dec), CurveStats: cs}, nil
}

func (b *basis) router(r RouterRun) (Result, error) {
	cs, err := b.curveStats(r.Scores)
	if err != nil {
		return Result{}, err
	}
	mix := b.mixOf(r.Strong)
	rnd := b.randomMix(float64(mix.StrongShare))
	res := Result{Name: r.Name, Kind: "router", Threshold: Float(r.Threshold), Mix: mix,
		RandomSameShare: &rnd, CurveStats: cs}
	if r.Policies != nil {
		res.Policies = b.policyStats(r)
	}
	return res, nil
}

func (b *basis) policyStats(r RouterRun) map[string]PolicyStat {
	type acc struct{ n, correct float64 }
	m := map[string]*acc{}
	for i, p := range r.Policies {
		a := m[p]
		if a == nil {
			a = &acc{}
			m[p] = a
		}
		a.n++
		if r.Strong[i] {
			a.correct += b.strongC[i]
		} else {
			a.correct += b.cheapC[i]
		}
	}
	out := make(map[string]PolicyStat, len(m))
	for p, a := range m {
		out[p] = PolicyStat{Count: int(a.n), Share: Float(a.n / float64(len(r.Policies))), Accuracy: ratio(a.correct, a.n)}
	}
	return out
}

// PolicyNames returns a result's policies in a stable order.
func (r Result) PolicyNames() []string {
	out := make([]string, 0, len(r.Policies))
	for p := range r.Policies {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
