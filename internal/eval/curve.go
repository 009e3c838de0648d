package eval

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Point is one point of a cost–quality curve: the first StrongCalls queries
// in falling score order go to the strong model, the rest to the cheap one.
type Point struct {
	// StrongCalls is k, the number of queries sent to the strong model.
	StrongCalls int `json:"strong_calls"`
	// StrongShare is k/n.
	StrongShare Float `json:"strong_share"`
	// Accuracy is the expected mean correctness under random tie-breaking.
	Accuracy Float `json:"accuracy"`
	// Cost is the expected total USD cost of the routed answers.
	Cost Float `json:"cost_usd"`
	// Threshold is the lowest score sent to the strong model at this point
	// (route strong iff score >= threshold); null at k = 0.
	Threshold Float `json:"threshold"`
}

// Curve is the cost–quality curve of one score over a test set. Points holds
// only the tie-group boundaries (the thresholds one can actually set); the
// expected accuracy and cost are linear between them, which is exactly the
// expectation under random tie-breaking inside a group of equal scores.
type Curve struct {
	N      int     `json:"n"`
	Points []Point `json:"points"`
}

// Inputs of NewCurve, one entry per query, aligned. Correctness values are
// in [0, 1] (1 = correct); costs are USD.
type CurveInput struct {
	Scores, CheapCorrect, StrongCorrect []float64
	// CheapCost and StrongCost may be nil (cost is then 0 everywhere).
	CheapCost, StrongCost []float64
}

var errEmpty = errors.New("no queries")

func (in CurveInput) validate() error {
	n := len(in.Scores)
	if n == 0 {
		return errEmpty
	}
	if len(in.CheapCorrect) != n || len(in.StrongCorrect) != n {
		return fmt.Errorf("length mismatch: %d scores, %d cheap, %d strong outcomes", n, len(in.CheapCorrect), len(in.StrongCorrect))
	}
	if (in.CheapCost != nil && len(in.CheapCost) != n) || (in.StrongCost != nil && len(in.StrongCost) != n) {
		return fmt.Errorf("length mismatch: %d scores, %d cheap costs, %d strong costs", n, len(in.CheapCost), len(in.StrongCost))
	}
	for i, s := range in.Scores {
		if math.IsNaN(s) {
			return fmt.Errorf("query %d: score is NaN", i+1)
		}
		if !finite(in.CheapCorrect[i]) || !finite(in.StrongCorrect[i]) {
			return fmt.Errorf("query %d: correctness is not a finite number", i+1)
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func at(xs []float64, i int) float64 {
	if xs == nil {
		return 0
	}
	return xs[i]
}

// scoreOrder returns query indices by falling score; equal scores keep input
// order, which does not matter since ties are averaged.
func scoreOrder(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx
}

// NewCurve builds the curve of in.Scores.
func NewCurve(in CurveInput) (Curve, error) {
	if err := in.validate(); err != nil {
		return Curve{}, err
	}
	n := len(in.Scores)
	var acc, cost float64
	for i := 0; i < n; i++ {
		acc += in.CheapCorrect[i]
		cost += at(in.CheapCost, i)
	}
	pts := make([]Point, 0, n+1)
	pts = append(pts, Point{StrongCalls: 0, StrongShare: 0, Accuracy: Float(acc / float64(n)), Cost: Float(cost), Threshold: NaN()})
	order := scoreOrder(in.Scores)
	for k := 0; k < n; {
		s := in.Scores[order[k]]
		for ; k < n && in.Scores[order[k]] == s; k++ {
			i := order[k]
			acc += in.StrongCorrect[i] - in.CheapCorrect[i]
			cost += at(in.StrongCost, i) - at(in.CheapCost, i)
		}
		pts = append(pts, Point{
			StrongCalls: k,
			StrongShare: Float(float64(k) / float64(n)),
			Accuracy:    Float(acc / float64(n)),
			Cost:        Float(cost),
			Threshold:   Float(s),
		})
	}
	return Curve{N: n, Points: pts}, nil
}

// At returns the expected accuracy and cost with k strong calls, k in
// [0, n] (fractional k interpolates linearly, as a randomised last call).
func (c Curve) At(k float64) (accuracy, cost float64) {
	if c.N == 0 || len(c.Points) == 0 {
		return math.NaN(), math.NaN()
	}
	k = math.Max(0, math.Min(float64(c.N), k))
	j := sort.Search(len(c.Points), func(j int) bool { return float64(c.Points[j].StrongCalls) >= k })
	if j == 0 {
		p := c.Points[0]
		return float64(p.Accuracy), float64(p.Cost)
	}
	lo, hi := c.Points[j-1], c.Points[j]
	t := (k - float64(lo.StrongCalls)) / float64(hi.StrongCalls-lo.StrongCalls)
	return lerp(float64(lo.Accuracy), float64(hi.Accuracy), t), lerp(float64(lo.Cost), float64(hi.Cost), t)
}

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

// CheapAccuracy is the accuracy with no strong calls.
func (c Curve) CheapAccuracy() float64 {
	if len(c.Points) == 0 {
		return math.NaN()
	}
	return float64(c.Points[0].Accuracy)
}

// StrongAccuracy is the accuracy with every query sent to the strong model.
func (c Curve) StrongAccuracy() float64 {
	if len(c.Points) == 0 {
		return math.NaN()
	}
	return float64(c.Points[len(c.Points)-1].Accuracy)
}

// PGR is the performance gap recovered: (acc − cheap) ÷ (strong − cheap).
// It is NaN when strong and cheap accuracy are equal (no gap to recover).
func PGR(acc, cheapAcc, strongAcc float64) float64 {
	gap := strongAcc - cheapAcc
	if math.Abs(gap) < 1e-12 || math.IsNaN(gap) {
		return math.NaN()
	}
	return (acc - cheapAcc) / gap
}

// APGR is the mean PGR over the n+1 points k = 0..n strong calls. PGR is
// affine in accuracy, so this is the PGR of the mean accuracy.
func (c Curve) APGR() float64 {
	if c.N == 0 {
		return math.NaN()
	}
	var sum float64
	for k := 0; k <= c.N; k++ {
		a, _ := c.At(float64(k))
		sum += a
	}
	return PGR(sum/float64(c.N+1), c.CheapAccuracy(), c.StrongAccuracy())
}

// StrongShareAt returns the smallest fraction of strong calls, in score
// order and interpolated linearly between points (the tie rule), at which
// expected accuracy reaches frac × strong-only accuracy. It is NaN for an
// empty curve or a frac outside (0, 1].
func (c Curve) StrongShareAt(frac float64) float64 {
	if c.N == 0 || !(frac > 0 && frac <= 1) {
		return math.NaN()
	}
	const eps = 1e-12
	target := frac * c.StrongAccuracy()
	p0 := c.Points[0]
	if float64(p0.Accuracy) >= target-eps {
		return 0
	}
	for j := 1; j < len(c.Points); j++ {
		lo, hi := c.Points[j-1], c.Points[j]
		if float64(hi.Accuracy) < target-eps {
			continue
		}
		dk := float64(hi.StrongCalls - lo.StrongCalls)
		da := float64(hi.Accuracy - lo.Accuracy)
		k := float64(hi.StrongCalls)
		if da > 0 {
			k = float64(lo.StrongCalls) + dk*math.Min(1, (target-float64(lo.Accuracy))/da)
		}
		return k / float64(c.N)
	}
	return 1 // unreachable: the last point is strong-only accuracy >= target
}

// AUC is the ROC AUC of the score for the label "the strong model is needed"
// (strong correct and cheap not: strongCorrect > cheapCorrect) against all
// other queries: the probability that a random positive scores above a
// random negative, ties counted half (Mann–Whitney U ÷ P·N). NaN when there
// is no positive or no negative, or the inputs are inconsistent.
func AUC(scores, cheapCorrect, strongCorrect []float64) float64 {
	in := CurveInput{Scores: scores, CheapCorrect: cheapCorrect, StrongCorrect: strongCorrect}
	if in.validate() != nil {
		return math.NaN()
	}
	n := len(scores)
	idx := scoreOrder(scores) // falling
	var pos, neg, u float64
	// Walk tie groups from the highest score: each positive beats every
	// negative in lower groups and ties half with negatives in its own.
	var negBelow float64
	for i := 0; i < n; i++ {
		if strongCorrect[i] > cheapCorrect[i] {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	negBelow = neg
	for k := 0; k < n; {
		s := scores[idx[k]]
		var gp, gn float64
		for ; k < n && scores[idx[k]] == s; k++ {
			i := idx[k]
			if strongCorrect[i] > cheapCorrect[i] {
				gp++
			} else {
				gn++
			}
		}
		negBelow -= gn
		u += gp*negBelow + 0.5*gp*gn
	}
	return u / (pos * neg)
}
