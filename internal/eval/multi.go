package eval

import (
	"errors"
	"fmt"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/quality"
	"github.com/llmrouter/llmrouter/internal/router"
)

// MultiSection is comparison.json's "multi": the N-model router against
// every single model, random routing at the same cost and the oracle, on
// the accuracy-versus-cost plane. It is additive (no format_version bump).
type MultiSection struct {
	Models []string `json:"models"`
	// Singles is each model alone, in Models order.
	Singles []MultiPoint `json:"singles"`
	// Frontier is the single models' upper hull: what random routing
	// among them reaches at each cost.
	Frontier []MultiPoint `json:"single_frontier"`
	// Oracle sends each question to the cheapest model that answers it
	// correctly (to the cheapest model when none does).
	Oracle MultiPoint `json:"oracle"`
	// Router is the router at its stored threshold; Curve the router along
	// t = 0 … 1 on the test questions.
	Router MultiPoint   `json:"router"`
	Curve  []MultiPoint `json:"curve"`
	// RandomSameCost is random routing among the single models at the
	// router's cost per query (the frontier there).
	RandomSameCost MultiPoint    `json:"random_same_cost"`
	Headline       MultiHeadline `json:"headline"`
	// Cascade is the cost-ordered cascade over the candidates, when the
	// model has an answer verifier and the answers are real texts.
	Cascade *MultiCascade `json:"cascade,omitempty"`
}

// MultiPoint is one operating point: a model, a router setting or a
// baseline.
type MultiPoint struct {
	Name string `json:"name"`
	// T is the router's threshold (null for anything else).
	T            Float `json:"t"`
	Accuracy     Float `json:"accuracy"`
	CostPerQuery Float `json:"cost_per_query_usd"`
	// Shares is the share of questions answered by each model.
	Shares map[string]Float `json:"shares,omitempty"`
}

// MultiHeadline holds the headline figures.
type MultiHeadline struct {
	BestSingle             string `json:"best_single"`
	BestSingleAccuracy     Float  `json:"best_single_accuracy"`
	BestSingleCostPerQuery Float  `json:"best_single_cost_per_query_usd"`
	// CostToMatchBest is the least cost per query at which the router's
	// curve (its upper hull) reaches the best single model's accuracy;
	// null if it never does. CostToMatchBestShare divides it by the best
	// single model's cost.
	CostToMatchBest      Float `json:"cost_per_query_to_match_best_usd"`
	CostToMatchBestShare Float `json:"cost_to_match_best_share"`
	// AccuracyAtCheapestCost is the router's accuracy (hull) at the
	// cheapest single model's cost per query.
	CheapestSingle         string `json:"cheapest_single"`
	AccuracyAtCheapestCost Float  `json:"accuracy_at_cheapest_cost"`
	// AreaVsFrontier is the mean, over costs from the cheapest single
	// model's to the priciest's, of the router's hull accuracy minus the
	// single-model frontier's: the accuracy it adds over random routing.
	AreaVsFrontier Float `json:"area_vs_single_frontier"`
}

// MultiInput is what EvaluateMulti needs, aligned with the questions.
type MultiInput struct {
	Name   string
	Models []string
	// Estimates are the router's per question, in Models order.
	Estimates [][]router.Estimate
	// CostScale and T are the router's (Meta.Multi.CostScale, threshold).
	CostScale, T float64
	// Verifier, when set, scores answers for the cost-ordered cascade;
	// it is evaluated only when every answer is a real text.
	Verifier *cascade.Verifier
}

// multiBasis is every model's correctness and cost per question.
type multiBasis struct {
	models        []string
	correct, cost [][]float64 // [question][model]
}

func newMultiBasis(rows []oracle.Row, models []string) (*multiBasis, error) {
	b := &multiBasis{models: models, correct: make([][]float64, len(rows)), cost: make([][]float64, len(rows))}
	for i, r := range rows {
		b.correct[i], b.cost[i] = make([]float64, len(models)), make([]float64, len(models))
		for k, m := range models {
			res, ok := r.Result(m)
			if !ok {
				return nil, fmt.Errorf("question %s has no answer from %s", r.ID, m)
			}
			if res.Grade == grade.Correct {
				b.correct[i][k] = 1
			}
			b.cost[i][k] = res.Cost
		}
	}
	return b, nil
}

// point is the realised accuracy, cost and shares of choosing pick(i).
func (b *multiBasis) point(name string, t Float, pick func(i int) int) MultiPoint {
	n := float64(len(b.correct))
	p := MultiPoint{Name: name, T: t, Shares: make(map[string]Float, len(b.models))}
	var acc, cost float64
	shares := make([]float64, len(b.models))
	for i := range b.correct {
		k := pick(i)
		acc += b.correct[i][k]
		cost += b.cost[i][k]
		shares[k]++
	}
	p.Accuracy, p.CostPerQuery = Float(acc/n), Float(cost/n)
	for k, m := range b.models {
		p.Shares[m] = Float(shares[k] / n)
	}
	return p
}

// EvaluateMulti computes the N-model section on oracle rows answered by
// every model.
func EvaluateMulti(rows []oracle.Row, in MultiInput) (*MultiSection, error) {
	if len(rows) == 0 {
		return nil, errors.New("evaluate: the test set is empty")
	}
	if len(in.Estimates) != len(rows) {
		return nil, fmt.Errorf("evaluate: %d router estimates for %d questions", len(in.Estimates), len(rows))
	}
	b, err := newMultiBasis(rows, in.Models)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	s := &MultiSection{Models: in.Models}
	var singles []quality.CostPoint
	for k, m := range in.Models {
		p := b.point(m, NaN(), func(int) int { return k })
		p.Shares = nil
		s.Singles = append(s.Singles, p)
		singles = append(singles, quality.CostPoint{Cost: float64(p.CostPerQuery), Accuracy: float64(p.Accuracy)})
	}
	frontier := quality.UpperHull(singles)
	for _, h := range frontier {
		s.Frontier = append(s.Frontier, MultiPoint{Name: "frontier", T: NaN(), Accuracy: Float(h.Accuracy), CostPerQuery: Float(h.Cost)})
	}
	s.Oracle = b.point("oracle", NaN(), b.oracleChoice)
	choose := func(t float64) func(int) int {
		return func(i int) int { return router.Choose(in.Estimates[i], t, in.CostScale, nil) }
	}
	s.Router = b.point(in.Name, Float(in.T), choose(in.T))
	var curve []quality.CostPoint
	for step := 0; step <= curveSteps; step++ {
		t := float64(step) / curveSteps
		p := b.point(in.Name, Float(t), choose(t))
		s.Curve = append(s.Curve, p)
		curve = append(curve, quality.CostPoint{Cost: float64(p.CostPerQuery), Accuracy: float64(p.Accuracy)})
	}
	s.RandomSameCost = MultiPoint{Name: "random (same cost)", T: NaN(), CostPerQuery: s.Router.CostPerQuery,
		Accuracy: Float(quality.HullAt(frontier, float64(s.Router.CostPerQuery)))}
	s.Headline = headline(s.Singles, frontier, quality.UpperHull(curve))
	if in.Verifier != nil && realAnswers(rows, in.Models) {
		s.Cascade = evaluateMultiCascade(b, rows, in)
	}
	return s, nil
}

// curveSteps is the number of steps of t in the router's curve.
const curveSteps = 200

// oracleChoice is the cheapest model (by this question's cost) that is
// right, or the cheapest of all when none is.
func (b *multiBasis) oracleChoice(i int) int {
	best, bestRight := -1, false
	for k := range b.models {
		right := b.correct[i][k] == 1
		switch {
		case best < 0, right && !bestRight:
			best, bestRight = k, right
		case right == bestRight && b.cost[i][k] < b.cost[i][best]:
			best = k
		}
	}
	return best
}

func headline(singles []MultiPoint, frontier, router []quality.CostPoint) MultiHeadline {
	h := MultiHeadline{CostToMatchBestShare: NaN()}
	best, cheap, dear := 0, 0, 0
	for k, p := range singles {
		if p.Accuracy > singles[best].Accuracy || (p.Accuracy == singles[best].Accuracy && p.CostPerQuery < singles[best].CostPerQuery) {
			best = k
		}
		if p.CostPerQuery < singles[cheap].CostPerQuery {
			cheap = k
		}
		if p.CostPerQuery > singles[dear].CostPerQuery {
			dear = k
		}
	}
	h.BestSingle, h.BestSingleAccuracy, h.BestSingleCostPerQuery = singles[best].Name, singles[best].Accuracy, singles[best].CostPerQuery
	h.CostToMatchBest = Float(quality.CostAt(router, float64(h.BestSingleAccuracy)))
	if h.CostToMatchBest.Valid() && h.BestSingleCostPerQuery > 0 {
		h.CostToMatchBestShare = h.CostToMatchBest / h.BestSingleCostPerQuery
	}
	lo, hi := float64(singles[cheap].CostPerQuery), float64(singles[dear].CostPerQuery)
	h.CheapestSingle = singles[cheap].Name
	h.AccuracyAtCheapestCost = Float(quality.HullAt(router, lo))
	h.AreaVsFrontier = Float(quality.MeanAccuracy(router, lo, hi) - quality.MeanAccuracy(frontier, lo, hi))
	if !h.AreaVsFrontier.Valid() {
		h.AreaVsFrontier = NaN()
	}
	return h
}
