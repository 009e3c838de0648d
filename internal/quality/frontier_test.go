package quality

import (
	"math"
	"testing"
)

func TestUpperHull(t *testing.T) {
	tests := []struct {
		name string
		in   []CostPoint
		want []CostPoint
	}{
		{"empty", nil, nil},
		{"dominated dropped", []CostPoint{{1, 0.5}, {2, 0.4}, {3, 0.9}}, []CostPoint{{1, 0.5}, {3, 0.9}}},
		{"below the chord dropped", []CostPoint{{0, 0}, {1, 0.2}, {2, 1}}, []CostPoint{{0, 0}, {2, 1}}},
		{"concave kept", []CostPoint{{0, 0}, {1, 0.8}, {2, 1}}, []CostPoint{{0, 0}, {1, 0.8}, {2, 1}}},
		{"same cost keeps best", []CostPoint{{1, 0.3}, {1, 0.6}}, []CostPoint{{1, 0.6}}},
		{"non-finite dropped", []CostPoint{{math.NaN(), 1}, {1, 0.5}}, []CostPoint{{1, 0.5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := UpperHull(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("hull = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("hull = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestHullAtCostAtMeanAccuracy(t *testing.T) {
	h := UpperHull([]CostPoint{{1, 0.5}, {3, 0.9}})
	tests := []struct {
		name      string
		got, want float64
	}{
		{"at cheapest", HullAt(h, 1), 0.5},
		{"between", HullAt(h, 2), 0.7},
		{"beyond", HullAt(h, 9), 0.9},
		{"cost for 0.7", CostAt(h, 0.7), 2},
		{"cost below cheapest accuracy", CostAt(h, 0.1), 1},
		{"mean over the range", MeanAccuracy(h, 1, 3), 0.7},
		{"mean with a flat tail", MeanAccuracy(h, 1, 5), 0.8},
		{"mean with a flat head", MeanAccuracy(h, 0, 1), 0.5},
	}
	for _, tc := range tests {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	for name, v := range map[string]float64{"below reach": HullAt(h, 0.5), "out of reach": CostAt(h, 0.95), "empty range": MeanAccuracy(h, 2, 2)} {
		if !math.IsNaN(v) {
			t.Errorf("%s = %v, want NaN", name, v)
		}
	}
}
