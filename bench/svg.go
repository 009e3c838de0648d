package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
	"github.com/llmrouter/llmrouter/internal/eval"
)

// Okabe–Ito colours (colour-blind safe), one per router in order; the
// oracle is dark grey and dashed.
var curveColors = []string{"#0072B2", "#56B4E9", "#009E73", "#999999", "#E69F00", "#CC79A7", "#D55E00"}

const (
	panelW, panelH = 460, 340
	marginL        = 60
	marginT        = 40
	legendH        = 90
	svgSamples     = 200
)

// writeCurvesSVG draws one panel per benchmark: accuracy against cost as a
// fraction of strong-only cost, every router's curve plus the oracle, and
// cheap-only and strong-only as points.
func writeCurvesSVG(path string, results []qualityResult) error {
	var b strings.Builder
	w := len(results)*(panelW+marginL+20) + 20
	h := panelH + marginT + 50 + legendH
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	var names []string
	for i, r := range results {
		x0 := 20 + i*(panelW+marginL+20) + marginL
		names = drawPanel(&b, r, float64(x0), marginT)
	}
	drawLegend(&b, names, 20+marginL, panelH+marginT+50)
	b.WriteString("</svg>\n")
	return atomicfile.Write(path, func(wr io.Writer) error {
		_, err := wr.Write([]byte(b.String()))
		return err
	})
}

type curveLine struct {
	name   string
	color  string
	dashed bool
	c      eval.Curve
}

func drawPanel(b *strings.Builder, r qualityResult, x0, y0 float64) []string {
	cheap, strong := byName(r.cmp.Baselines, "cheap-only"), byName(r.cmp.Baselines, "strong-only")
	sc := float64(strong.Cost)
	var lines []curveLine
	for i, res := range r.cmp.Routers {
		if res.CurveStats != nil {
			lines = append(lines, curveLine{res.Name, curveColors[i%len(curveColors)], false, res.CurveStats.Curve})
		}
	}
	if o := byName(r.cmp.Baselines, "oracle"); o.CurveStats != nil {
		lines = append(lines, curveLine{"oracle", "#333333", true, o.CurveStats.Curve})
	}
	// y range from the curves themselves, padded; x is cost ÷ strong-only cost.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for _, p := range l.c.Points {
			lo, hi = math.Min(lo, float64(p.Accuracy)), math.Max(hi, float64(p.Accuracy))
		}
	}
	if !(hi > lo) {
		lo, hi = lo-0.05, hi+0.05
	}
	pad := (hi - lo) * 0.05
	lo, hi = lo-pad, hi+pad
	xAt := func(frac float64) float64 { return x0 + frac*panelW }
	yAt := func(acc float64) float64 { return y0 + panelH - (acc-lo)/(hi-lo)*panelH }
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" font-size="14" font-weight="bold">%s test split (n=%d)</text>`+"\n", x0, y0-14, upper(r.bench), r.cmp.N)
	fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", x0, y0, panelW, panelH)
	for i := 0; i <= 5; i++ {
		fx := float64(i) / 5
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="middle">%.0f%%</text>`+"\n",
			xAt(fx), y0, xAt(fx), y0+panelH, xAt(fx), y0+panelH+16, fx*100)
		acc := lo + (hi-lo)*float64(i)/5
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="end">%.1f%%</text>`+"\n",
			x0, yAt(acc), x0+panelW, yAt(acc), x0-6, yAt(acc)+4, acc*100)
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle">cost as a share of strong-only cost</text>`+"\n", x0+panelW/2, y0+panelH+34)
	fmt.Fprintf(b, `<text transform="translate(%.0f,%.0f) rotate(-90)" text-anchor="middle">accuracy</text>`+"\n", x0-46, y0+panelH/2)
	var names []string
	for _, l := range lines {
		names = append(names, l.name)
		var pts []string
		n := l.c.N
		steps := min(n, svgSamples)
		for i := 0; i <= steps; i++ {
			acc, cost := l.c.At(float64(n) * float64(i) / float64(steps))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xAt(cost/sc), yAt(acc)))
		}
		dash := ""
		if l.dashed {
			dash = ` stroke-dasharray="5,4"`
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.8"%s points="%s"><title>%s</title></polyline>`+"\n",
			l.color, dash, strings.Join(pts, " "), html.EscapeString(l.name))
	}
	for _, p := range []struct {
		name string
		res  eval.Result
	}{{"cheap-only", cheap}, {"strong-only", strong}} {
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4.5" fill="black"><title>%s</title></circle><text x="%.1f" y="%.1f">%s</text>`+"\n",
			xAt(float64(p.res.Cost)/sc), yAt(float64(p.res.Accuracy)), p.name, xAt(float64(p.res.Cost)/sc)+7, yAt(float64(p.res.Accuracy))-7, p.name)
	}
	return names
}

func drawLegend(b *strings.Builder, names []string, x0, y0 int) {
	for i, name := range names {
		col, dash := curveColors[i%len(curveColors)], ""
		if name == "oracle" {
			col, dash = "#333333", ` stroke-dasharray="5,4"`
		}
		x, y := x0+(i%4)*230, y0+(i/4)*22
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.5"%s/><text x="%d" y="%d">%s</text>`+"\n",
			x, y, x+28, y, col, dash, x+34, y+4, html.EscapeString(name))
	}
}
