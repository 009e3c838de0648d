package report

import (
	"math"

	"github.com/llmrouter/llmrouter/internal/eval"
)

// maxSamples bounds the points drawn per curve; the curve is piecewise
// linear, so uniform samples in k lose nothing visible.
const maxSamples = 200

// palette is colour-blind safe (Okabe–Ito), one per router in order.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442"}

const (
	oracleColor = "#555555"
	randomColor = "#999999"
)

// series is one line of the cost–quality charts.
type series struct {
	name   string
	color  string
	dashed bool
	share  []float64 // strong share (x of chart 1)
	cost   []float64 // cost per query, USD (x of chart 2)
	acc    []float64 // accuracy (y)
}

// marker is one operating point (a router at its threshold, or a baseline).
type marker struct {
	name             string
	color            string
	share, cost, acc float64
}

func sampleCurve(name, color string, c eval.Curve, dashed bool) series {
	s := series{name: name, color: color, dashed: dashed}
	if c.N == 0 {
		return s
	}
	steps := min(c.N, maxSamples)
	for i := 0; i <= steps; i++ {
		k := float64(c.N) * float64(i) / float64(steps)
		a, cost := c.At(k)
		s.share = append(s.share, k/float64(c.N))
		s.cost = append(s.cost, cost/float64(c.N))
		s.acc = append(s.acc, a)
	}
	return s
}

// chartData returns the lines and markers shared by the SVG and PNG charts.
func chartData(cmp *eval.Comparison) ([]series, []marker) {
	var lines []series
	var marks []marker
	for i, r := range cmp.Routers {
		col := palette[i%len(palette)]
		if r.CurveStats != nil {
			lines = append(lines, sampleCurve(r.Name, col, r.Curve, false))
		}
		marks = append(marks, markerOf(r, col))
	}
	var cheap, strong *eval.Result
	for i := range cmp.Baselines {
		b := &cmp.Baselines[i]
		switch b.Name {
		case "oracle":
			if b.CurveStats != nil {
				lines = append(lines, sampleCurve("oracle", oracleColor, b.Curve, true))
			}
		case "cheap-only":
			cheap = b
		case "strong-only":
			strong = b
		}
		marks = append(marks, markerOf(*b, oracleColor))
	}
	if cheap != nil && strong != nil && cmp.N > 0 {
		lines = append(lines, series{
			name: "random (expected)", color: randomColor, dashed: true,
			share: []float64{0, 1},
			cost:  []float64{float64(cheap.CostPerQuery), float64(strong.CostPerQuery)},
			acc:   []float64{float64(cheap.Accuracy), float64(strong.Accuracy)},
		})
	}
	return lines, marks
}

func markerOf(r eval.Result, color string) marker {
	return marker{name: r.Name, color: color, share: float64(r.StrongShare), cost: float64(r.CostPerQuery), acc: float64(r.Accuracy)}
}

// extent returns the [lo, hi] range of the finite values; ok is false,
// and the range [0, 1], when there are none.
func extent(vals ...[]float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, vs := range vals {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi {
		return 0, 1, false
	}
	return lo, hi, true
}

// bounds returns the axis range for data in [lo, hi], padded so no point
// sits on the frame, and widened so a flat series still gets a visible axis.
// With no data (ok false) there is nothing to keep off the frame.
func bounds(lo, hi float64, ok bool) (float64, float64) {
	if !ok {
		return lo, hi
	}
	if hi-lo < 1e-9 {
		pad := math.Max(math.Abs(hi)*0.1, 0.01)
		return lo - pad, hi + pad
	}
	pad := (hi - lo) * 0.05
	return lo - pad, hi + pad
}
