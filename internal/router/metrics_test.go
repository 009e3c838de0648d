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

func TestECETable(t *testing.T) {
	tests := []struct {
		name    string
		conf    []float64
		correct []bool
		bins    int
		want    float64
	}{
		// Bin (0.8, 0.9]: accuracy 1/2 at confidence 0.9; bin (0.5, 0.6]:
		// accuracy 1 at 0.6. Each holds half → 0.5·0.4 + 0.5·0.4.
		{"two bins", []float64{0.9, 0.9, 0.6, 0.6}, []bool{true, false, true, true}, 10, 0.4},
		{"calibrated", []float64{0.75, 0.75, 0.75, 0.75}, []bool{true, true, true, false}, 10, 0},
		{"saturated", []float64{0.99, 0.99, 0.99}, []bool{true, false, false}, 10, 0.99 - 1.0/3},
		// 0.3 is the upper edge of (0.2, 0.3], so it shares a bin with
		// 0.25: |1/2 − 0.275|. Split into two bins it would be 0.525.
		{"upper edge", []float64{0.3, 0.25}, []bool{false, true}, 10, 0.225},
		{"0 and 1", []float64{1, 0}, []bool{true, false}, 10, 0},
		// One bin: |mean accuracy − mean confidence| = |2/3 − 0.7|.
		{"one bin", []float64{0.9, 0.6, 0.6}, []bool{true, true, false}, 1, 0.7 - 2.0/3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := router.ECE(tc.conf, tc.correct, tc.bins)
			if err != nil || math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("ECE = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	bad := []struct {
		name    string
		conf    []float64
		correct []bool
		bins    int
	}{
		{"empty", nil, nil, 10},
		{"length mismatch", []float64{0.5}, []bool{true, false}, 10},
		{"no bins", []float64{0.5}, []bool{true}, 0},
		{"above 1", []float64{1.5}, []bool{true}, 10},
		{"NaN", []float64{math.NaN()}, []bool{true}, 10},
	}
	for _, tc := range bad {
		if _, err := router.ECE(tc.conf, tc.correct, tc.bins); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
