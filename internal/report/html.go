package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"

	"github.com/llmrouter/llmrouter/internal/eval"
)

//go:embed report.html.tmpl
var htmlTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  pct,
	"num":  num,
	"usd":  usd,
	"thin": thin,
	"ms":   ms,
	"share": func(m map[string]eval.Float, k string) string {
		if v, ok := m[k]; ok {
			return pct(v)
		}
		return "—"
	},
}).Parse(htmlTemplate))

// view is what the template renders; charts are pre-built, escaped SVG.
type view struct {
	*eval.Comparison
	All        []eval.Result
	ShareChart template.HTML
	CostChart  template.HTML
	WithCurves []eval.Result
	// The cascade section's charts, empty without one.
	CascadeShareChart template.HTML
	CascadeCostChart  template.HTML
	// The N-model section's chart and rows, empty without one.
	MultiChart template.HTML
	MultiRows  []eval.MultiPoint
}

// WriteHTML writes the self-contained report: no scripts, no external
// resources, so it opens offline and from an email attachment.
func WriteHTML(w io.Writer, cmp *eval.Comparison) error {
	lines, marks := chartData(cmp)
	v := view{Comparison: cmp}
	v.All = append(append(v.All, cmp.Routers...), cmp.Baselines...)
	for _, r := range v.All {
		if r.CurveStats != nil {
			v.WithCurves = append(v.WithCurves, r)
		}
	}
	v.ShareChart = svgChart("Accuracy vs strong-call share", "share of queries sent to the strong model",
		lines, marks, func(s series) []float64 { return s.share }, func(m marker) float64 { return m.share }, percentLabels)
	v.CostChart = svgChart("Accuracy vs cost per query", "cost per query (USD)",
		lines, marks, func(s series) []float64 { return s.cost }, func(m marker) float64 { return m.cost }, dollarLabels)
	if cmp.Cascade != nil {
		v.CascadeShareChart, v.CascadeCostChart = cascadeCharts(cmp.Cascade)
	}
	if cmp.Multi != nil {
		v.MultiChart, v.MultiRows = multiChart(cmp.Multi), multiRows(cmp.Multi)
	}
	if err := tmpl.Execute(w, v); err != nil {
		return fmt.Errorf("render report.html: %w", err)
	}
	return nil
}

func pct(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(f)*100)
}

func num(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	return fmt.Sprintf("%.3f", float64(f))
}

func usd(f eval.Float) string {
	if !f.Valid() {
		return "—"
	}
	v := float64(f)
	if math.Abs(v) >= 1 {
		return fmt.Sprintf("$%.2f", v)
	}
	return fmt.Sprintf("$%.3g", v)
}

// thin keeps at most 21 points of a curve, evenly spaced in the list and
// always including both ends, so the HTML table stays readable.
func thin(pts []eval.Point) []eval.Point {
	const keep = 21
	if len(pts) <= keep {
		return pts
	}
	out := make([]eval.Point, 0, keep)
	for i := 0; i < keep; i++ {
		out = append(out, pts[i*(len(pts)-1)/(keep-1)])
	}
	return out
}
