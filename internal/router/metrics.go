package router

import (
	"fmt"
	"math"
	"sort"
)

// The quality metrics the trainer needs to choose a score (GUIDE.md's
// definitions). internal/eval owns the canonical curve and report; these
// plain-slice versions live here because eval may import router, and a test
// checks that both agree.

// expectedAccuracies returns acc[k], k = 0..n: the expected accuracy when
// the k highest-scoring queries go to the strong model, with ties broken at
// random (so accuracy is linear across a group of equal scores).
func expectedAccuracies(scores, cheap, strong []float64) ([]float64, error) {
	n := len(scores)
	if n == 0 {
		return nil, fmt.Errorf("no queries")
	}
	if len(cheap) != n || len(strong) != n {
		return nil, fmt.Errorf("length mismatch: %d scores, %d cheap, %d strong outcomes", n, len(cheap), len(strong))
	}
	order := make([]int, n)
	var base float64
	for i := range order {
		if math.IsNaN(scores[i]) {
			return nil, fmt.Errorf("query %d: score is NaN", i+1)
		}
		order[i] = i
		base += cheap[i]
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	acc := make([]float64, n+1)
	acc[0] = base / float64(n)
	sum := base
	for k := 0; k < n; {
		j, groupGain := k, 0.0
		for ; j < n && scores[order[j]] == scores[order[k]]; j++ {
			groupGain += strong[order[j]] - cheap[order[j]]
		}
		step := groupGain / float64(j-k)
		for ; k < j; k++ {
			sum += step
			acc[k+1] = sum / float64(n)
		}
	}
	return acc, nil
}

// APGR is the average performance gap recovered of scores (higher = send to
// strong first) given each query's cheap and strong correctness in [0, 1].
// It is NaN when the strong and cheap accuracies are equal.
func APGR(scores, cheap, strong []float64) (float64, error) {
	acc, err := expectedAccuracies(scores, cheap, strong)
	if err != nil {
		return math.NaN(), err
	}
	n := len(scores)
	gap := acc[n] - acc[0]
	if math.Abs(gap) < 1e-12 {
		return math.NaN(), nil
	}
	var mean float64
	for _, a := range acc {
		mean += a
	}
	mean /= float64(n + 1)
	return (mean - acc[0]) / gap, nil
}

// StrongShareAt is the smallest fraction of strong calls, in score order,
// at which expected accuracy reaches frac × strong-only accuracy
// (interpolated linearly between whole calls).
func StrongShareAt(scores, cheap, strong []float64, frac float64) (float64, error) {
	acc, err := expectedAccuracies(scores, cheap, strong)
	if err != nil {
		return math.NaN(), err
	}
	n := len(scores)
	target := frac * acc[n]
	const eps = 1e-12
	if acc[0] >= target-eps {
		return 0, nil
	}
	for k := 1; k <= n; k++ {
		if acc[k] >= target-eps {
			x := float64(k-1) + (target-acc[k-1])/(acc[k]-acc[k-1])
			return x / float64(n), nil
		}
	}
	return 1, nil
}

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
