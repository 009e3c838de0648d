package router

import (
	"math"

	"github.com/llmrouter/llmrouter/internal/quality"
)

// curveSteps is the number of steps of t in the stored threshold curve.
const curveSteps = 200

// estimateAll returns m's estimates for every row, in row order.
func estimateAll(m *Model, ex []mexample) [][]Estimate {
	out := make([][]Estimate, len(ex))
	for i, e := range ex {
		out[i] = m.Estimates(e.query)
	}
	return out
}

// validationAreas scores each probability kind on the held-out rows by the
// router's mean realised accuracy over the cost range from the cheapest to
// the priciest single model (see routingArea). A kind the model cannot
// compute (topics without a topic head) is left out.
func validationAreas(m *Model, cands []Candidate, scale float64, val []mexample) map[string]float64 {
	n := m.multi.n
	lin, top := make([][]float64, len(val)), make([][]float64, len(val))
	for i, e := range val {
		lin[i], top[i] = make([]float64, maxCandidates), make([]float64, maxCandidates)
		m.components(e.query, true, true, lin[i], top[i], nil)
	}
	out := map[string]float64{}
	for _, kind := range ProbKinds {
		if kind != ProbLinear && m.topic == nil {
			continue
		}
		est := make([][]Estimate, len(val))
		for i := range val {
			p := make([]float64, n)
			combine(kind, lin[i], top[i], p)
			est[i] = make([]Estimate, n)
			for k, c := range cands {
				est[i][k] = Estimate{Model: c.Model, PCorrect: p[k], CostUSD: c.CostUSD}
			}
		}
		if a := routingArea(est, val, scale); !math.IsNaN(a) {
			out[kind] = round6(a)
		}
	}
	return out
}

// bestProbKind is the kind with the highest area, earlier kinds winning
// ties; fallback when none was measured.
func bestProbKind(area map[string]float64, fallback string) string {
	best, bestA := fallback, math.Inf(-1)
	for _, k := range ProbKinds {
		if a, ok := area[k]; ok && a > bestA {
			best, bestA = k, a
		}
	}
	return best
}

// routingArea is the mean accuracy of the upper hull of the router's
// realised (cost, accuracy) points along t, over the costs from the
// cheapest single model's to the priciest's: what eval reports as the
// router's curve, in one number.
func routingArea(est [][]Estimate, ex []mexample, scale float64) float64 {
	curve := thresholdCurve(est, ex, scale)
	pts := make([]quality.CostPoint, len(curve))
	for i, p := range curve {
		pts[i] = quality.CostPoint{Cost: p.CostPerQuery, Accuracy: p.Accuracy}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for k := range est[0] {
		var c float64
		for _, e := range ex {
			c += e.cost[k] / float64(len(ex))
		}
		lo, hi = math.Min(lo, c), math.Max(hi, c)
	}
	return quality.MeanAccuracy(quality.UpperHull(pts), lo, hi)
}

// thresholdCurve routes the rows at t = 0, 1/curveSteps, …, 1 and returns
// the realised accuracy, cost per query and share per candidate at each.
func thresholdCurve(est [][]Estimate, ex []mexample, scale float64) []LambdaPoint {
	out := make([]LambdaPoint, 0, curveSteps+1)
	n := float64(len(ex))
	for s := 0; s <= curveSteps; s++ {
		t := float64(s) / curveSteps
		p := LambdaPoint{T: t, Shares: make([]float64, len(est[0]))}
		for i, e := range ex {
			k := Choose(est[i], t, scale, nil)
			p.Accuracy += e.correct[k] / n
			p.CostPerQuery += e.cost[k] / n
			p.Shares[k] += 1 / n
		}
		p.Accuracy, p.CostPerQuery = round6(p.Accuracy), round6(p.CostPerQuery)
		for k := range p.Shares {
			p.Shares[k] = round6(p.Shares[k])
		}
		out = append(out, p)
	}
	return out
}

// bestSingle is the most accurate candidate on the rows and its accuracy.
func bestSingle(cands []Candidate, ex []mexample) (string, float64) {
	best, bestA := "", -1.0
	for k, c := range cands {
		var a float64
		for _, e := range ex {
			a += e.correct[k] / float64(len(ex))
		}
		if a > bestA {
			best, bestA = c.Model, a
		}
	}
	return best, round6(bestA)
}

// curveAt is the stored curve's point at t: the nearest step at or below.
func curveAt(curve []LambdaPoint, t float64) (LambdaPoint, bool) {
	var best LambdaPoint
	ok := false
	for _, p := range curve {
		if p.T <= t+1e-12 {
			best, ok = p, true
		}
	}
	return best, ok
}

// TForQuality is the largest (cheapest) t on the curve whose accuracy
// reaches share × the best single model's, false when none does.
func TForQuality(mm *MultiMeta, share float64) (float64, bool) {
	want := share * mm.BestSingleAccuracy
	for i := len(mm.Curve) - 1; i >= 0; i-- {
		if mm.Curve[i].Accuracy >= want-1e-12 {
			return mm.Curve[i].T, true
		}
	}
	return 0, false
}

// TForCost is the smallest (most accurate) t on the curve whose cost per
// query is at most usd, false when none is.
func TForCost(mm *MultiMeta, usd float64) (float64, bool) {
	for _, p := range mm.Curve {
		if p.CostPerQuery <= usd+1e-15 {
			return p.T, true
		}
	}
	return 1, false
}

// TBestAccuracy is the largest t reaching the curve's best accuracy.
func TBestAccuracy(mm *MultiMeta) float64 {
	best, t := -1.0, 0.0
	for _, p := range mm.Curve {
		if p.Accuracy >= best {
			best, t = p.Accuracy, p.T
		}
	}
	return t
}
