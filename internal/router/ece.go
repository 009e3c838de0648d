package router

import (
	"fmt"
	"math"
)

// ECE is the expected calibration error of top-class predictions (Guo et
// al., 2017): conf[i] is the top class's probability and correct[i]
// whether that class was the label. Confidences fall in bins equal-width
// bins of [0, 1], each (lo, hi] (the first also holds 0); ECE is the mean,
// weighted by the share of predictions in each bin, of |accuracy − mean
// confidence| there.
func ECE(conf []float64, correct []bool, bins int) (float64, error) {
	n := len(conf)
	switch {
	case n == 0:
		return math.NaN(), fmt.Errorf("no predictions")
	case len(correct) != n:
		return math.NaN(), fmt.Errorf("length mismatch: %d confidences, %d outcomes", n, len(correct))
	case bins < 1:
		return math.NaN(), fmt.Errorf("%d bins: want at least 1", bins)
	}
	count := make([]int, bins)
	sumConf, sumCorrect := make([]float64, bins), make([]float64, bins)
	for i, c := range conf {
		if !(c >= 0 && c <= 1) {
			return math.NaN(), fmt.Errorf("prediction %d: confidence %v outside [0, 1]", i+1, c)
		}
		b := calibrationBin(c, bins)
		count[b]++
		sumConf[b] += c
		if correct[i] {
			sumCorrect[b]++
		}
	}
	var ece float64
	for b, k := range count {
		if k > 0 {
			ece += math.Abs(sumCorrect[b]-sumConf[b]) / float64(n)
		}
	}
	return ece, nil
}

// calibrationBin compares against the edges b/bins rather than computing
// ⌈c·bins⌉−1, whose rounding would put c = 0.3 in (0.3, 0.4].
func calibrationBin(c float64, bins int) int {
	for b := range bins - 1 {
		if c <= float64(b+1)/float64(bins) {
			return b
		}
	}
	return bins - 1
}
