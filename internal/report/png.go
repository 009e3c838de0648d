package report

import (
	"fmt"
	"image/color"
	"io"
	"strconv"

	"github.com/llmrouter/llmrouter/internal/eval"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WritePNG draws the accuracy vs strong-share curves of every router, the
// oracle and random, with the operating points as markers. With a cascade
// section a second panel beside it draws the cascade comparison against
// cost per query, the axis on which a cascade, which also pays for the
// cheap call on every query, and a router compare.
func WritePNG(w io.Writer, cmp *eval.Comparison) error {
	lines, marks := chartData(cmp)
	p, err := linePlot("Cost–quality curve: "+cmp.Benchmark, "share of queries sent to the strong model",
		lines, marks, func(s series) []float64 { return s.share }, func(m marker) float64 { return m.share }, percentLabels)
	if err != nil {
		return fmt.Errorf("curve.png: %w", err)
	}
	plots := []*plot.Plot{p}
	if cmp.Multi != nil {
		ml, mm := multiChartData(cmp.Multi)
		mp, err := linePlot("N-model router: "+cmp.Benchmark, "cost per query (USD)",
			ml, mm, func(s series) []float64 { return s.cost }, func(m marker) float64 { return m.cost }, dollarLabels)
		if err != nil {
			return fmt.Errorf("curve.png: %w", err)
		}
		plots = append(plots, mp)
	}
	if cmp.Cascade != nil {
		cl, cm := cascadeChartData(cmp.Cascade)
		cp, err := linePlot("Cascade vs router: "+cmp.Benchmark, "cost per query (USD)",
			cl, cm, func(s series) []float64 { return s.cost }, func(m marker) float64 { return m.cost }, dollarLabels)
		if err != nil {
			return fmt.Errorf("curve.png: %w", err)
		}
		plots = append(plots, cp)
	}
	c, err := draw.NewFormattedCanvas(vg.Length(len(plots))*8*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("curve.png: %w", err)
	}
	if len(plots) == 1 {
		p.Draw(draw.New(c))
	} else {
		tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(12)}
		for i, cv := range plot.Align([][]*plot.Plot{plots}, tiles, draw.New(c))[0] {
			plots[i].Draw(cv)
		}
	}
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("curve.png: %w", err)
	}
	return nil
}

// linePlot draws accuracy against x for every line and marker.
func linePlot(title, xLabel string, lines []series, marks []marker, xOf func(series) []float64, markX func(marker) float64, xFmt tickFormat) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = "accuracy"
	p.X.Tick.Marker = ticker(xFmt)
	p.Y.Tick.Marker = ticker(percentLabels)
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	for _, l := range lines {
		xs := xOf(l)
		xys := make(plotter.XYs, 0, len(xs))
		for i := range xs {
			xys = append(xys, plotter.XY{X: xs[i], Y: l.acc[i]})
		}
		ln, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("series %s: %w", l.name, err)
		}
		ln.Color = hexColor(l.color)
		ln.Width = vg.Points(1.5)
		if l.dashed {
			ln.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(ln)
		p.Legend.Add(l.name, ln)
	}
	for _, m := range marks {
		sc, err := plotter.NewScatter(plotter.XYs{{X: markX(m), Y: m.acc}})
		if err != nil {
			continue // NaN operating point (undefined metric): nothing to draw
		}
		sc.GlyphStyle.Color = hexColor(m.color)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(3.5)
		p.Add(sc)
	}
	return p, nil
}

// hexColor parses "#rrggbb" from the fixed palette.
func hexColor(s string) color.Color {
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil || len(s) != 7 {
		return color.Black
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}
