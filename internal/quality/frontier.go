package quality

import (
	"math"
	"sort"
)

// CostPoint is one operating point: a cost per query and the accuracy it
// buys.
type CostPoint struct {
	Cost, Accuracy float64
}

// UpperHull returns the upper concave hull of pts, by rising cost: the
// best accuracy reachable at each cost by choosing one of the points, or
// by mixing two of them at random (which interpolates linearly). A point
// dearer and no better than another is never on it. Non-finite points are
// dropped.
func UpperHull(pts []CostPoint) []CostPoint {
	var ps []CostPoint
	for _, p := range pts {
		if finite(p.Cost) && finite(p.Accuracy) {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Cost != ps[j].Cost {
			return ps[i].Cost < ps[j].Cost
		}
		return ps[i].Accuracy > ps[j].Accuracy
	})
	var hull []CostPoint
	for _, p := range ps {
		if len(hull) > 0 && (p.Cost == hull[len(hull)-1].Cost || p.Accuracy <= hull[len(hull)-1].Accuracy) {
			continue // same cost and no better, or dearer and no better
		}
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) >= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	return hull
}

// cross > 0 when b lies below the segment a→c (so b is not on the upper
// hull).
func cross(a, b, c CostPoint) float64 {
	return (b.Cost-a.Cost)*(c.Accuracy-a.Accuracy) - (b.Accuracy-a.Accuracy)*(c.Cost-a.Cost)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// HullAt is the hull's accuracy at cost c: interpolated between its
// points, its best accuracy beyond its dearest point, and NaN below its
// cheapest (that cost is out of reach).
func HullAt(hull []CostPoint, c float64) float64 {
	if len(hull) == 0 || c < hull[0].Cost {
		return math.NaN()
	}
	for i := 1; i < len(hull); i++ {
		if c <= hull[i].Cost {
			a, b := hull[i-1], hull[i]
			return a.Accuracy + (b.Accuracy-a.Accuracy)*(c-a.Cost)/(b.Cost-a.Cost)
		}
	}
	return hull[len(hull)-1].Accuracy
}

// CostAt is the least cost at which the hull reaches accuracy a, NaN if it
// never does.
func CostAt(hull []CostPoint, a float64) float64 {
	if len(hull) == 0 || a > hull[len(hull)-1].Accuracy {
		return math.NaN()
	}
	if a <= hull[0].Accuracy {
		return hull[0].Cost
	}
	for i := 1; i < len(hull); i++ {
		if a <= hull[i].Accuracy {
			p, q := hull[i-1], hull[i]
			return p.Cost + (q.Cost-p.Cost)*(a-p.Accuracy)/(q.Accuracy-p.Accuracy)
		}
	}
	return math.NaN()
}

// MeanAccuracy is the hull's mean accuracy over costs [lo, hi] (its area
// divided by hi − lo), counting costs below its cheapest point at that
// point's accuracy. NaN when hi <= lo or the hull is empty.
func MeanAccuracy(hull []CostPoint, lo, hi float64) float64 {
	if len(hull) == 0 || !(hi > lo) {
		return math.NaN()
	}
	at := func(c float64) float64 {
		if c < hull[0].Cost {
			return hull[0].Accuracy
		}
		return HullAt(hull, c)
	}
	// The integrand is piecewise linear with kinks at the hull's costs.
	xs := []float64{lo}
	for _, p := range hull {
		if p.Cost > lo && p.Cost < hi {
			xs = append(xs, p.Cost)
		}
	}
	xs = append(xs, hi)
	var area float64
	for i := 1; i < len(xs); i++ {
		area += (at(xs[i-1]) + at(xs[i])) / 2 * (xs[i] - xs[i-1])
	}
	return area / (hi - lo)
}
