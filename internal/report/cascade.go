package report

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/llmrouter/llmrouter/internal/eval"
)

// Cascade chart colours. The query-only router keeps the routers chart's
// first colour, so the same router reads the same in both.
const (
	cascadeColor     = "#D55E00"
	ruleCascadeColor = "#009E73"
)

var hybridPalette = []string{"#CC79A7", "#E69F00", "#56B4E9", "#F0E442"}

// cascadeStyle picks a row's colour and dash.
func cascadeStyle(r eval.CascadeResult) (color string, dashed bool) {
	switch {
	case r.Name == eval.NameCascade:
		return cascadeColor, false
	case r.Name == eval.NameRuleCascade:
		return ruleCascadeColor, false
	case r.Name == eval.NameRandomEscalation:
		return randomColor, true
	case r.Kind == "router":
		return palette[0], false
	}
	return oracleColor, true // the oracle verifier and the single-model points
}

// cascadeChartData returns the cascade comparison's lines and operating
// points: every row with a curve, then the hybrid at each skip share.
func cascadeChartData(s *eval.CascadeSection) ([]series, []marker) {
	var lines []series
	var marks []marker
	for _, r := range s.Results {
		col, dashed := cascadeStyle(r)
		// The router keeps the name it has in the routers chart, which also
		// fits the legend.
		name := strings.TrimSuffix(r.Name, eval.QueryOnlySuffix)
		if r.CurveStats != nil {
			lines = append(lines, sampleCurve(name, col, r.Curve, dashed))
		}
		m := markerOf(r.Result, col)
		m.name = name
		marks = append(marks, m)
	}
	for i, h := range s.Hybrid.Results {
		col, name := hybridPalette[i%len(hybridPalette)], "hybrid, "+h.Name
		lines = append(lines, sampleCurve(name, col, h.Curve, false))
		at := h.AtThreshold
		marks = append(marks, marker{name: name, color: col, share: float64(at.StrongShare), cost: float64(at.CostPerQuery), acc: float64(at.Accuracy)})
	}
	return lines, marks
}

// cascadeCharts draws the cascade's two SVG charts, by strong-call share
// and by cost per query; the second is where a cascade and a router compare
// fairly, since a cascade also pays for the cheap call on every query.
func cascadeCharts(s *eval.CascadeSection) (share, cost template.HTML) {
	lines, marks := cascadeChartData(s)
	share = svgChart("Cascade: accuracy vs strong-call share", "share of queries with a strong call",
		lines, marks, func(s series) []float64 { return s.share }, func(m marker) float64 { return m.share }, percentLabels)
	cost = svgChart("Cascade: accuracy vs cost per query", "cost per query (USD)",
		lines, marks, func(s series) []float64 { return s.cost }, func(m marker) float64 { return m.cost }, dollarLabels)
	return share, cost
}

func ms(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(f))
}
