package router_test

import (
	"math"
	"testing"

	"github.com/llmrouter/llmrouter/internal/router"
)

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
