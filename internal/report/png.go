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
// oracle and random, with the operating points as markers.
func WritePNG(w io.Writer, cmp *eval.Comparison) error {
	lines, marks := chartData(cmp)
	p := plot.New()
	p.Title.Text = "Cost–quality curve: " + cmp.Benchmark
	p.X.Label.Text = "share of queries sent to the strong model"
	p.Y.Label.Text = "accuracy"
	p.X.Tick.Marker = ticker(percentLabels)
	p.Y.Tick.Marker = ticker(percentLabels)
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	for _, l := range lines {
		xys := make(plotter.XYs, 0, len(l.share))
		for i := range l.share {
			xys = append(xys, plotter.XY{X: l.share[i], Y: l.acc[i]})
		}
		ln, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("curve.png: series %s: %w", l.name, err)
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
		sc, err := plotter.NewScatter(plotter.XYs{{X: m.share, Y: m.acc}})
		if err != nil {
			continue // NaN operating point (undefined metric): nothing to draw
		}
		sc.GlyphStyle.Color = hexColor(m.color)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(3.5)
		p.Add(sc)
	}
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("curve.png: %w", err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("curve.png: %w", err)
	}
	return nil
}

// hexColor parses "#rrggbb" from the fixed palette.
func hexColor(s string) color.Color {
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil || len(s) != 7 {
		return color.Black
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}
