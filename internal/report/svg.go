package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Chart geometry in SVG user units.
const (
	svgW, svgH                 = 720.0, 420.0
	padL, padR, padT, padB     = 64.0, 170.0, 30.0, 50.0
	plotW, plotH               = svgW - padL - padR, svgH - padT - padB
	legendX, legendY, legendDY = svgW - padR + 16, padT + 10, 18.0
)

// axis maps data values to SVG coordinates.
type axis struct{ lo, hi, from, to float64 }

func (a axis) at(v float64) float64 {
	return a.from + (v-a.lo)/(a.hi-a.lo)*(a.to-a.from)
}

// svgChart draws accuracy against x (strong share or cost) for every line
// and marker. All text is HTML-escaped, so names cannot inject markup.
func svgChart(title, xLabel string, lines []series, marks []marker, xOf func(series) []float64, markX func(marker) float64, xFmt tickFormat) template.HTML {
	var xs, ys [][]float64
	for _, l := range lines {
		xs, ys = append(xs, xOf(l)), append(ys, l.acc)
	}
	for _, m := range marks {
		xs, ys = append(xs, []float64{markX(m)}), append(ys, []float64{m.acc})
	}
	xlo, xhi, xok := extent(xs...)
	ylo, yhi, yok := extent(ys...)
	ax := axis{from: padL, to: padL + plotW}
	ax.lo, ax.hi = bounds(xlo, xhi, xok)
	ay := axis{from: padT + plotH, to: padT}
	ay.lo, ay.hi = bounds(ylo, yhi, yok)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s">`, svgW, svgH, svgW, svgH, esc(title))
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="#fff" stroke="#ccc"/>`, padL, padT, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%g" y="18" font-size="14" font-weight="bold">%s</text>`, padL, esc(title))
	drawTicks(&b, ax, ay, niceTicks(xlo, xhi, xFmt), niceTicks(ylo, yhi, percentLabels))
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="12" text-anchor="middle">%s</text>`, padL+plotW/2, svgH-10, esc(xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%g" font-size="12" text-anchor="middle" transform="rotate(-90 14 %g)">accuracy</text>`, padT+plotH/2, padT+plotH/2)
	for i, l := range lines {
		drawLine(&b, l, xOf(l), ax, ay)
		legend(&b, i, l.color, l.dashed, l.name)
	}
	for _, m := range marks {
		x, y := markX(m), m.acc
		if math.IsNaN(x) || math.IsNaN(y) {
			continue
		}
		fmt.Fprintf(&b, `<circle cx="%.2f" cy="%.2f" r="4" fill="%s" stroke="#000" stroke-width="0.7"><title>%s</title></circle>`, ax.at(x), ay.at(y), m.color, esc(m.name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from escaped text and numbers only
}

// drawTicks draws a grid line and a label at each tick. The ticks come from
// the unpadded data range, so they can stop short of the frame.
func drawTicks(b *strings.Builder, ax, ay axis, xt, yt []tick) {
	for _, t := range xt {
		x := ax.at(t.v)
		fmt.Fprintf(b, `<line x1="%.2f" y1="%g" x2="%.2f" y2="%g" stroke="#eee"/>`, x, padT, x, padT+plotH)
		fmt.Fprintf(b, `<text x="%.2f" y="%g" font-size="11" text-anchor="middle">%s</text>`, x, padT+plotH+16, esc(t.label))
	}
	for _, t := range yt {
		y := ay.at(t.v)
		fmt.Fprintf(b, `<line x1="%g" y1="%.2f" x2="%g" y2="%.2f" stroke="#eee"/>`, padL, y, padL+plotW, y)
		fmt.Fprintf(b, `<text x="%g" y="%.2f" font-size="11" text-anchor="end">%s</text>`, padL-6, y+4, esc(t.label))
	}
}

func drawLine(b *strings.Builder, l series, xs []float64, ax, ay axis) {
	var pts []string
	for i := range xs {
		if math.IsNaN(xs[i]) || math.IsNaN(l.acc[i]) {
			continue
		}
		pts = append(pts, fmt.Sprintf("%.2f,%.2f", ax.at(xs[i]), ay.at(l.acc[i])))
	}
	if len(pts) == 0 {
		return
	}
	dash := ""
	if l.dashed {
		dash = ` stroke-dasharray="6 4"`
	}
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"><title>%s</title></polyline>`, l.color, dash, strings.Join(pts, " "), esc(l.name))
}

func legend(b *strings.Builder, i int, color string, dashed bool, name string) {
	y := legendY + float64(i)*legendDY
	dash := ""
	if dashed {
		dash = ` stroke-dasharray="6 4"`
	}
	fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"%s/>`, legendX, y, legendX+24, y, color, dash)
	fmt.Fprintf(b, `<text x="%g" y="%g" font-size="12">%s</text>`, legendX+30, y+4, esc(name))
}

func esc(s string) string { return html.EscapeString(s) }
