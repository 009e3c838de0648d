package report

import (
	"html/template"
	"sort"

	"github.com/llmrouter/llmrouter/internal/eval"
)

// multiChartData returns the N-model chart's lines and points: the router
// along t, the single-model frontier (random routing), every single model,
// the router at its threshold, random at the same cost, the oracle and the
// cascade.
func multiChartData(s *eval.MultiSection) ([]series, []marker) {
	r := series{name: s.Router.Name, color: palette[0]}
	pts := append([]eval.MultiPoint(nil), s.Curve...)
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].CostPerQuery < pts[j].CostPerQuery })
	for _, p := range pts {
		r.cost, r.acc = append(r.cost, float64(p.CostPerQuery)), append(r.acc, float64(p.Accuracy))
	}
	f := series{name: "random (single-model frontier)", color: randomColor, dashed: true}
	for _, p := range s.Frontier {
		f.cost, f.acc = append(f.cost, float64(p.CostPerQuery)), append(f.acc, float64(p.Accuracy))
	}
	marks := []marker{pointMarker(s.Router, palette[0]), pointMarker(s.RandomSameCost, randomColor), pointMarker(s.Oracle, oracleColor)}
	for i, p := range s.Singles {
		marks = append(marks, pointMarker(p, palette[(i+1)%len(palette)]))
	}
	if s.Cascade != nil {
		m := pointMarker(s.Cascade.Result, cascadeColor)
		m.name = "cascade"
		marks = append(marks, m)
	}
	return []series{r, f}, marks
}

func pointMarker(p eval.MultiPoint, color string) marker {
	return marker{name: p.Name, color: color, cost: float64(p.CostPerQuery), acc: float64(p.Accuracy)}
}

// multiChart draws the N-model router's accuracy against cost per query.
func multiChart(s *eval.MultiSection) template.HTML {
	lines, marks := multiChartData(s)
	return svgChart("N-model router: accuracy vs cost per query", "cost per query (USD)",
		lines, marks, func(s series) []float64 { return s.cost }, func(m marker) float64 { return m.cost }, dollarLabels)
}

// multiRows are the N-model table's rows: the router, random at its cost,
// the cascade, every single model and the oracle.
func multiRows(s *eval.MultiSection) []eval.MultiPoint {
	rows := []eval.MultiPoint{s.Router, s.RandomSameCost}
	if s.Cascade != nil {
		c := s.Cascade.Result
		c.Name = "cascade (cost order)"
		rows = append(rows, c)
	}
	rows = append(rows, s.Singles...)
	return append(rows, s.Oracle)
}
