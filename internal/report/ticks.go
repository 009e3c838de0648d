package report

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
)

// maxTicks bounds the labelled ticks per axis: enough to read a value off
// the chart, few enough that dollar labels do not collide.
const maxTicks = 6

// tick is one labelled axis mark.
type tick struct {
	v     float64
	label string
}

// tickFormat labels tick values that are all multiples of step. It sees
// every value at once so that all labels of an axis share one precision.
type tickFormat func(vals []float64, step float64) []string

// niceTicks returns at most maxTicks ticks at the multiples of a 1, 2 or
// 5 × 10^k step that lie in [lo, hi]. The range is the data's, not the
// padded axis's, so a share never gets a tick below 0% or above 100% and a
// cost never a negative one. A zero-width range has one tick, at its value,
// since no other value is in it.
func niceTicks(lo, hi float64, format tickFormat) []tick {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
		return nil
	}
	if hi-lo <= 1e-9*math.Max(math.Abs(lo), math.Abs(hi)) {
		step := 1.0
		if lo != 0 {
			// two significant digits: enough to tell it from a nice value
			step = math.Pow(10, math.Floor(math.Log10(math.Abs(lo)))-1)
		}
		return labelled([]float64{lo}, step, format)
	}
	m, k := niceStep(lo, hi)
	first, last := multiples(lo, hi, m, k)
	vals := make([]float64, 0, last-first+1)
	for i := first; i <= last; i++ {
		vals = append(vals, scaled(i*m, k))
	}
	return labelled(vals, scaled(m, k), format)
}

// niceStep returns the smallest step m × 10^k, m in {1, 2, 5}, that puts
// at most maxTicks multiples in [lo, hi]. It starts a decade below
// (hi-lo)/maxTicks, where there are always too many, so the first fit is
// the finest one; 1-2-5 grows by at most 2.5× a step, so at least two
// ticks remain.
func niceStep(lo, hi float64) (m, k int64) {
	k = int64(math.Floor(math.Log10((hi-lo)/maxTicks))) - 1
	for ; ; k++ {
		for _, m := range []int64{1, 2, 5} {
			if first, last := multiples(lo, hi, m, k); last-first+1 <= maxTicks {
				return m, k
			}
		}
	}
}

// multiples returns the first and last i with i × m × 10^k in [lo, hi],
// give or take rounding error, so that a bound that is itself a tick
// (0 or 1 for a share) keeps its tick.
func multiples(lo, hi float64, m, k int64) (first, last int64) {
	step := scaled(m, k)
	const slack = 1e-9
	return int64(math.Ceil(lo/step - slack)), int64(math.Floor(hi/step + slack))
}

// scaled returns n × 10^k, dividing for negative k so that, say, 3 × 10^-1
// is the float closest to 0.3 and labels and tests see the exact decimal.
func scaled(n, k int64) float64 {
	if k < 0 {
		return float64(n) / math.Pow10(int(-k))
	}
	return float64(n) * math.Pow10(int(k))
}

func labelled(vals []float64, step float64, format tickFormat) []tick {
	labels := format(vals, step)
	ts := make([]tick, len(vals))
	for i, v := range vals {
		ts[i] = tick{v, labels[i]}
	}
	return ts
}

// decimals is how many digits after the point print every multiple of step
// exactly, for a step of 1, 2 or 5 × 10^k.
func decimals(step float64) int {
	return max(0, -int(math.Floor(math.Log10(step)+1e-9)))
}

// percentLabels prints shares and accuracies as percentages, with decimals
// only when the step is below one percent.
func percentLabels(vals []float64, step float64) []string {
	d := decimals(step * 100)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprintf("%.*f%%", d, v*100)
	}
	return out
}

// dollarLabels prints costs in plain decimals, never e-notation: at least
// cents, at least the step's digits, and two significant digits on the
// largest label, so $0.0010 and $0.0020 read as amounts of the same scale.
func dollarLabels(vals []float64, step float64) []string {
	d := max(2, decimals(step))
	var top float64
	for _, v := range vals {
		top = math.Max(top, math.Abs(v))
	}
	if top > 0 {
		d = max(d, 1-int(math.Floor(math.Log10(top)+1e-9)))
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		sign := ""
		if v < 0 {
			sign, v = "-", -v
		}
		out[i] = fmt.Sprintf("%s$%.*f", sign, d, v)
	}
	return out
}

// ticker gives gonum/plot the ticks the SVG charts use, so the PNG and the
// HTML report label their axes alike.
type ticker tickFormat

// Ticks implements plot.Ticker.
func (f ticker) Ticks(lo, hi float64) []plot.Tick {
	ts := niceTicks(lo, hi, tickFormat(f))
	out := make([]plot.Tick, len(ts))
	for i, t := range ts {
		out[i] = plot.Tick{Value: t.v, Label: t.label}
	}
	return out
}
