package eval

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmrouter/llmrouter/internal/quality"
)

const tol = 1e-9

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) < tol
}

// Hand-computed cases. For "distinct", the order q0,q1,q2,q3 has gains
// +1,0,+1,0 so acc(k) = .25,.5,.5,.75,.75, mean .55, APGR (.55−.25)/.5 = .6.
func TestCurveMetrics(t *testing.T) {
	cases := []struct {
		name                string
		scores, cheap, strg []float64
		apgr, auc           float64
		at80, at90, at95    float64
	}{
		{
			name:   "distinct",
			scores: []float64{0.9, 0.7, 0.5, 0.1}, cheap: []float64{0, 1, 0, 0}, strg: []float64{1, 1, 1, 0},
			apgr: 0.6, auc: 0.75, at80: 0.6, at90: 0.675, at95: 0.7125,
		},
		{
			// One tie group: straight line from .25 to .75, the random expectation.
			name:   "all tied",
			scores: []float64{0.5, 0.5, 0.5, 0.5}, cheap: []float64{0, 1, 0, 0}, strg: []float64{1, 1, 1, 0},
			apgr: 0.5, auc: 0.5, at80: 0.35 / 0.5, at90: 0.425 / 0.5, at95: 0.4625 / 0.5,
		},
		{
			// Order q0, {q1,q2}, q3; the tie group adds +1 over two steps:
			// acc = .25,.5,.625,.75,1 → mean .625, APGR .5; AUC (1+.5+0)/3.
			// 80% of 1 = .8: between k=3 (.75) and k=4 (1): k=3.2 → .8.
			name:   "partial tie",
			scores: []float64{1, 0.5, 0.5, 0}, cheap: []float64{0, 0, 1, 0}, strg: []float64{1, 1, 1, 1},
			apgr: 0.5, auc: 0.5, at80: 0.8, at90: 0.9, at95: 0.95,
		},
		{
			// Oracle order beats strong-only: acc .25,.5,.75,.75,.5, mean .55,
			// APGR (.55−.25)/.25 = 1.2 > 1. Target .8*.5 = .4 at k = .6.
			name:   "oracle exceeds one",
			scores: []float64{-1, 1, 1, 0}, cheap: []float64{1, 0, 0, 0}, strg: []float64{0, 1, 1, 0},
			apgr: 1.2, auc: 1, at80: 0.15, at90: 0.2, at95: 0.225,
		},
		{
			// Strong and cheap equally accurate: PGR undefined, shares 0.
			name:   "no gap",
			scores: []float64{0.9, 0.7, 0.5, 0.1}, cheap: []float64{1, 0, 0, 1}, strg: []float64{1, 1, 0, 0},
			apgr: math.NaN(), auc: 2.0 / 3, at80: 0, at90: 0, at95: 0,
		},
		{
			// Nobody needs the strong model: AUC undefined (no positive). The
			// gap is negative (−.5) but PGR stays the formula: acc 1,1,.5,
			// mean 5/6, APGR (5/6−1)/(−.5) = 1/3.
			name:   "no positives",
			scores: []float64{0.2, 0.1}, cheap: []float64{1, 1}, strg: []float64{1, 0},
			apgr: 1.0 / 3, auc: math.NaN(), at80: 0, at90: 0, at95: 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCurve(CurveInput{Scores: tc.scores, CheapCorrect: tc.cheap, StrongCorrect: tc.strg})
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				what      string
				got, want float64
			}{
				{"APGR", c.APGR(), tc.apgr},
				{"APGR slices", metric(quality.APGR(tc.scores, tc.cheap, tc.strg)), tc.apgr},
				{"AUC", AUC(tc.scores, tc.cheap, tc.strg), tc.auc},
				{"share@80", c.StrongShareAt(0.80), tc.at80},
				{"share@90", c.StrongShareAt(0.90), tc.at90},
				{"share@95", c.StrongShareAt(0.95), tc.at95},
				{"share@95 slices", metric(quality.StrongShareAt(tc.scores, tc.cheap, tc.strg, 0.95)), tc.at95},
			}
			for _, ck := range checks {
				if !near(ck.got, ck.want) {
					t.Errorf("%s = %v, want %v", ck.what, ck.got, ck.want)
				}
			}
		})
	}
}

// A router with random scores has APGR 0.5 in expectation.
func TestRandomRouterAPGR(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sum float64
	const trials = 40
	for trial := 0; trial < trials; trial++ {
		n := 500
		scores, cheap, strong := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := 0; i < n; i++ {
			scores[i] = rng.Float64()
			cheap[i] = b2f(rng.Float64() < 0.6)
			strong[i] = b2f(rng.Float64() < 0.8)
		}
		c, err := NewCurve(CurveInput{Scores: scores, CheapCorrect: cheap, StrongCorrect: strong})
		if err != nil {
			t.Fatal(err)
		}
		sum += c.APGR()
	}
	if mean := sum / trials; math.Abs(mean-0.5) > 0.03 {
		t.Errorf("mean APGR of random routers = %.4f, want ≈ 0.5", mean)
	}
}

// The curve (tie groups, interpolated) and package quality (one step per
// query) compute the same metrics two ways; the trainer and the cascade
// verifier choose by quality's, the report shows the curve's.
func TestCurveAgreesWithQuality(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		n := 5 + rng.IntN(200)
		scores, cheap, strong := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			scores[i] = float64(rng.IntN(10)) / 10 // many ties
			cheap[i] = float64(rng.IntN(2))
			strong[i] = float64(rng.IntN(2))
		}
		strong[0], cheap[0] = 1, 0 // a gap exists
		c, err := NewCurve(CurveInput{Scores: scores, CheapCorrect: cheap, StrongCorrect: strong})
		if err != nil {
			t.Fatal(err)
		}
		a, err := quality.APGR(scores, cheap, strong)
		if err != nil {
			t.Fatal(err)
		}
		if b := c.APGR(); math.Abs(a-b) > tol {
			t.Fatalf("trial %d: quality APGR %v, curve APGR %v", trial, a, b)
		}
		for _, frac := range []float64{0.8, 0.95, 1} {
			s, err := quality.StrongShareAt(scores, cheap, strong, frac)
			if err != nil {
				t.Fatal(err)
			}
			if e := c.StrongShareAt(frac); math.Abs(s-e) > tol {
				t.Fatalf("trial %d frac %v: quality share %v, curve share %v", trial, frac, s, e)
			}
		}
	}
}

// metric drops the error of a quality metric, which is NaN whenever it errs.
func metric(v float64, _ error) float64 { return v }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestCurveBadInput(t *testing.T) {
	cases := []struct {
		name string
		in   CurveInput
	}{
		{"empty", CurveInput{}},
		{"length mismatch", CurveInput{Scores: []float64{1, 2}, CheapCorrect: []float64{1}, StrongCorrect: []float64{1, 1}}},
		{"cost mismatch", CurveInput{Scores: []float64{1}, CheapCorrect: []float64{1}, StrongCorrect: []float64{1}, CheapCost: []float64{1, 2}}},
		{"NaN score", CurveInput{Scores: []float64{math.NaN()}, CheapCorrect: []float64{1}, StrongCorrect: []float64{1}}},
		{"Inf outcome", CurveInput{Scores: []float64{1}, CheapCorrect: []float64{math.Inf(1)}, StrongCorrect: []float64{1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewCurve(tc.in); err == nil {
				t.Fatal("NewCurve accepted bad input")
			}
			if v := AUC(tc.in.Scores, tc.in.CheapCorrect, tc.in.StrongCorrect); !math.IsNaN(v) {
				t.Errorf("AUC = %v, want NaN", v)
			}
		})
	}
	var c Curve
	if a, _ := c.At(1); !math.IsNaN(a) || !math.IsNaN(c.APGR()) || !math.IsNaN(c.StrongShareAt(0.9)) {
		t.Error("zero Curve must give NaN metrics")
	}
}

func TestCurvePointsAndCost(t *testing.T) {
	c, err := NewCurve(CurveInput{
		Scores: []float64{0.2, 0.9, 0.9}, CheapCorrect: []float64{1, 0, 0}, StrongCorrect: []float64{1, 1, 0},
		CheapCost: []float64{1, 1, 1}, StrongCost: []float64{10, 10, 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		k         int
		acc, cost float64
		thr       float64
	}{{0, 1.0 / 3, 3, math.NaN()}, {2, 2.0 / 3, 21, 0.9}, {3, 2.0 / 3, 30, 0.2}}
	if len(c.Points) != len(want) {
		t.Fatalf("got %d points, want %d", len(c.Points), len(want))
	}
	for i, w := range want {
		p := c.Points[i]
		if p.StrongCalls != w.k || !near(float64(p.Accuracy), w.acc) || !near(float64(p.Cost), w.cost) || !near(float64(p.Threshold), w.thr) {
			t.Errorf("point %d = %+v, want k=%d acc=%v cost=%v thr=%v", i, p, w.k, w.acc, w.cost, w.thr)
		}
	}
	if a, cost := c.At(1); !near(a, 0.5) || !near(cost, 12) {
		t.Errorf("At(1) = %v, %v; want the tie-group midpoint 0.5, 12", a, cost)
	}
}

func TestFloatJSON(t *testing.T) {
	in := struct{ A, B, C Float }{NaN(), Float(math.Inf(1)), 0.25}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"A":null,"B":null,"C":0.25}` {
		t.Fatalf("got %s", b)
	}
	var out struct{ A, B, C Float }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.A.Valid() || out.C != 0.25 {
		t.Errorf("round trip = %+v", out)
	}
}
