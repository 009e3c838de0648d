package router_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmrouter/llmrouter/internal/eval"
	"github.com/llmrouter/llmrouter/internal/router"
)

func TestAPGRTable(t *testing.T) {
	tests := []struct {
		name                  string
		scores, cheap, strong []float64
		want                  float64
	}{
		// Only query 0 gains from the strong model. Perfect order: PGR is 0
		// at k=0 and 1 from k=1 on → (0+1+1)/3.
		{"perfect", []float64{0.9, 0.1}, []float64{0, 1}, []float64{1, 1}, 2.0 / 3},
		{"reversed", []float64{0.1, 0.9}, []float64{0, 1}, []float64{1, 1}, 1.0 / 3},
		// All tied: a straight line from 0 to 1 → mean 0.5.
		{"all tied", []float64{0.5, 0.5}, []float64{0, 1}, []float64{1, 1}, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := router.APGR(tc.scores, tc.cheap, tc.strong)
			if err != nil || math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("APGR = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := router.APGR([]float64{1}, []float64{1, 0}, []float64{1}); err == nil {
		t.Error("length mismatch accepted")
	}
	if a, err := router.APGR([]float64{1, 0}, []float64{1, 0}, []float64{1, 0}); err != nil || !math.IsNaN(a) {
		t.Errorf("no gap: APGR = %v, %v; want NaN", a, err)
	}
}

// The router's metrics must agree with internal/eval's canonical ones.
func TestMetricsAgreeWithEval(t *testing.T) {
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
		a, err := router.APGR(scores, cheap, strong)
		if err != nil {
			t.Fatal(err)
		}
		if b := eval.APGR(scores, cheap, strong); math.Abs(a-b) > 1e-9 {
			t.Fatalf("trial %d: router APGR %v, eval APGR %v", trial, a, b)
		}
		for _, frac := range []float64{0.8, 0.95, 1} {
			s, err := router.StrongShareAt(scores, cheap, strong, frac)
			if err != nil {
				t.Fatal(err)
			}
			if e := eval.StrongShareAt(scores, cheap, strong, frac); math.Abs(s-e) > 1e-9 {
				t.Fatalf("trial %d frac %v: router share %v, eval share %v", trial, frac, s, e)
			}
		}
	}
}
