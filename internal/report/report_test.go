package report

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/golden"
	"github.com/llmrouter/llmrouter/internal/grade"
)

// fixture is a small fixed comparison: 8 questions, one classifier-like
// router with a partial tie, one constant (random-like) router whose name
// tries to inject markup.
func fixture(t *testing.T) *eval.Comparison {
	t.Helper()
	g := func(c bool) string {
		if c {
			return grade.Correct
		}
		return grade.Incorrect
	}
	cheap := []bool{true, false, false, true, false, true, true, false}
	strong := []bool{true, true, true, false, false, true, true, true}
	qs := make([]eval.Question, len(cheap))
	for i := range qs {
		qs[i] = eval.Question{ID: string(rune('a' + i)),
			Cheap: eval.Outcome{Grade: g(cheap[i]), Cost: 0.001}, Strong: eval.Outcome{Grade: g(strong[i]), Cost: 0.01}}
	}
	qs[4].Cheap.Grade = grade.NotAttempted
	scores := []float64{0.1, 0.9, 0.8, 0.75, 0.5, 0.5, 0.2, 0.7}
	dec := make([]bool, len(scores))
	for i, s := range scores {
		dec[i] = s >= 0.7
	}
	runs := []eval.RouterRun{
		{Name: "classifier", Scores: scores, Strong: dec, Threshold: 0.7,
			Policies: []string{"Standard_Query", "Complex_Query", "Complex_Query", "Standard_Query", "Ambiguous_Query", "Ambiguous_Query", "Standard_Query", "Complex_Query"}},
		{Name: `<script>alert("x")</script>`, Scores: make([]float64, 8), Strong: make([]bool, 8), Threshold: math.NaN()},
	}
	cmp, err := eval.Evaluate(qs, runs, eval.Options{Benchmark: "golden & <test>", TestFile: "data/splits/x_test.jsonl",
		Models: eval.Models{Cheap: "cheap-model", Strong: "strong-model", Judge: "rule"}})
	if err != nil {
		t.Fatal(err)
	}
	return cmp
}

// cascadeFixture is fixture with a cascade section: a verifier that ranks
// the cheap answers well, a rule that fires on two, and the classifier as
// the query-only router and pre-routing score.
func cascadeFixture(t *testing.T) *eval.Comparison {
	t.Helper()
	cmp := fixture(t)
	g := func(c bool) string {
		if c {
			return grade.Correct
		}
		return grade.Incorrect
	}
	cheap := []bool{true, false, false, true, false, true, true, false}
	strong := []bool{true, true, true, false, false, true, true, true}
	qs := make([]eval.Question, len(cheap))
	for i := range qs {
		qs[i] = eval.Question{ID: string(rune('a' + i)),
			Cheap:  eval.Outcome{Grade: g(cheap[i]), Cost: 0.001, LatencyMS: float64(100 * (i + 1))},
			Strong: eval.Outcome{Grade: g(strong[i]), Cost: 0.01, LatencyMS: float64(1000 + 250*i)}}
	}
	qs[4].Cheap.Grade = grade.NotAttempted
	scores := []float64{0.1, 0.9, 0.8, 0.75, 0.5, 0.5, 0.2, 0.7}
	sec, err := eval.EvaluateCascade(qs, eval.CascadeInput{
		Verifier: "signals <&>", Threshold: 0.5, ThresholdSource: "cross-validated",
		Escalate: []float64{0.05, 0.95, 0.7, 0.4, 0.6, 0.1, 0.2, 0.8},
		Rule:     []float64{0, 1, 0, 0, 1, 0, 0, 0},
		Query: eval.RouterRun{Name: "classifier", Scores: scores, Threshold: 0.7,
			Strong: []bool{false, true, true, true, false, false, false, true}},
		SkipShares: []float64{0.25}, ModelSkipThreshold: math.NaN(), LatencySource: "replay",
	})
	if err != nil {
		t.Fatal(err)
	}
	cmp.Cascade = sec
	return cmp
}

func TestGoldenJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fixture(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "comparison.golden.json"), buf.Bytes())
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if back.N != 8 || len(back.Routers) != 2 || back.Routers[0].CurveStats == nil || len(back.Routers[0].Curve.Points) == 0 {
		t.Errorf("round trip lost data: %+v", back)
	}
	if back.Routers[1].Threshold.Valid() {
		t.Error("NaN threshold must round-trip as null → NaN")
	}
}

func TestGoldenHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, fixture(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "report.golden.html"), buf.Bytes())
	s := buf.String()
	for _, bad := range []string{"<script", "http://", "https://cdn", "<link", "src="} {
		if bad == "http://" {
			// the only URL allowed is the SVG namespace
			s2 := strings.ReplaceAll(s, `xmlns="http://www.w3.org/2000/svg"`, "")
			if strings.Contains(s2, bad) {
				t.Errorf("report references an external resource (%q)", bad)
			}
			continue
		}
		if strings.Contains(s, bad) {
			t.Errorf("report contains %q: not self-contained or not escaped", bad)
		}
	}
	if !strings.Contains(s, "&lt;script&gt;") || strings.Count(s, "<svg") != 2 {
		t.Error("expected the escaped router name and two inline SVG charts")
	}
}

func TestGoldenCascade(t *testing.T) {
	var js, html bytes.Buffer
	if err := WriteJSON(&js, cascadeFixture(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "comparison_cascade.golden.json"), js.Bytes())
	back, err := ReadJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if c := back.Cascade; c == nil || len(c.Results) != 7 || c.Result(eval.NameCascade).CurveStats == nil || len(c.Hybrid.Results) != 1 {
		t.Errorf("cascade section lost in the round trip: %+v", back.Cascade)
	}
	if err := WriteHTML(&html, cascadeFixture(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "report_cascade.golden.html"), html.Bytes())
	s := html.String()
	for _, want := range []string{"<h2>Cascade routing</h2>", "cascade (learned)", "classifier (query-only)", "oracle verifier",
		"These latencies were replayed", "Pre-routing hybrid", "signals &lt;&amp;&gt;"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Count(s, "<svg") != 4 {
		t.Errorf("%d inline SVG charts, want 4 (two for the routers, two for the cascade)", strings.Count(s, "<svg"))
	}
	var plain bytes.Buffer
	if err := WriteHTML(&plain, fixture(t)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "Cascade routing") {
		t.Error("a comparison without a cascade section renders one")
	}
}

func TestCascadePNG(t *testing.T) {
	var one, two bytes.Buffer
	if err := WritePNG(&one, fixture(t)); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(&two, cascadeFixture(t)); err != nil {
		t.Fatal(err)
	}
	a, err := png.Decode(&one)
	if err != nil {
		t.Fatal(err)
	}
	b, err := png.Decode(&two)
	if err != nil {
		t.Fatal(err)
	}
	if b.Bounds().Dx() != 2*a.Bounds().Dx() || b.Bounds().Dy() != a.Bounds().Dy() {
		t.Errorf("with a cascade curve.png is %v, want two %v panels side by side", b.Bounds(), a.Bounds())
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteAll(dir, fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("wrote %v", paths)
	}
	f, err := os.Open(filepath.Join(dir, PNGFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("curve.png is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
		t.Errorf("curve.png is %v", b)
	}
}
