package quality

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// Quantiles returns n evenly spaced quantiles (0 to 1, linear
// interpolation as numpy's percentile) of xs; nil without xs or for n < 2.
func Quantiles(xs []float64, n int) []float64 {
	if len(xs) == 0 || n < 2 {
		return nil
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	out := make([]float64, n)
	for i := range out {
		out[i] = quantileSorted(s, float64(i)/float64(n-1))
	}
	return out
}

func quantileSorted(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (s[lo+1]-s[lo])*(pos-float64(lo))
}

// ThresholdForShare returns the score threshold that sends share of queries
// to the strong model, given their sorted scores or a distribution's
// quantiles: RouteLLM's calibrate_threshold, the (1 − share) quantile,
// clamped to [0, 1]. Without scores it is 0.5.
func ThresholdForShare(sorted []float64, share float64) float64 {
	if len(sorted) == 0 {
		return 0.5
	}
	return math.Max(0, math.Min(1, quantileSorted(sorted, 1-share)))
}

// TopShareThreshold returns the lowest score among the round(share·n)
// highest, so "score >= threshold" sends exactly that many queries (more on
// ties); +Inf when that is none. Unlike ThresholdForShare it does not
// interpolate: it selects a share of the very queries it is given, which is
// how the evaluation puts comparison routers at the trained router's
// realised share and picks the queries the pre-routing hybrid skips.
func TopShareThreshold(scores []float64, share float64) float64 {
	s := slices.Clone(scores)
	slices.SortFunc(s, func(a, b float64) int { return cmp.Compare(b, a) })
	k := int(math.Round(share * float64(len(s))))
	if k <= 0 {
		return math.Inf(1)
	}
	return s[min(k, len(s))-1]
}
