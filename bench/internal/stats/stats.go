// Package stats summarises benchmark samples: nearest-rank percentiles of
// durations and small helpers the report formats with.
package stats

import (
	"math"
	"slices"
	"time"
)

// Summary is the distribution of a set of durations.
type Summary struct {
	N             int
	Min, P50, P99 time.Duration
	Max, Mean     time.Duration
}

// Summarize sorts a copy of ds and returns its percentiles. An empty input
// gives a zero Summary with N == 0.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Summary{
		N: len(s), Min: s[0], Max: s[len(s)-1],
		P50: Percentile(s, 0.50), P99: Percentile(s, 0.99),
		Mean: sum / time.Duration(len(s)),
	}
}

// Percentile is the nearest-rank q-quantile (q in [0, 1]) of sorted: the
// smallest sample with at least q of the samples at or below it. It is the
// definition load testers report, and never interpolates a latency no
// request had.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	r := int(math.Ceil(q * float64(len(sorted))))
	r = min(max(r, 1), len(sorted))
	return sorted[r-1]
}

// Median of xs (the mean of the middle two for an even count); NaN if empty.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// GrowthExponent is b in time ∝ size^b from two (size, time) points: 1 is
// linear, 2 quadratic. NaN when undefined.
func GrowthExponent(size0, t0, size1, t1 float64) float64 {
	if !(size0 > 0 && size1 > 0 && t0 > 0 && t1 > 0) || size0 == size1 {
		return math.NaN()
	}
	return math.Log(t1/t0) / math.Log(size1/size0)
}

// Slope is the least-squares slope of ys against xs; NaN with fewer than two
// distinct xs.
func Slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if len(xs) < 2 || len(xs) != len(ys) {
		return math.NaN()
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / den
}
