package spend

import (
	"math"
	"testing"
)

func TestLatencyBucket(t *testing.T) {
	tests := []struct {
		ms   int64
		want int
	}{{0, 0}, {4, 0}, {5, 1}, {99, 8}, {100, 9}, {299999, 28}, {300000, 29}, {1 << 40, 29}}
	for _, tc := range tests {
		if got := LatencyBucket(tc.ms); got != tc.want {
			t.Errorf("LatencyBucket(%d) = %d, want %d", tc.ms, got, tc.want)
		}
	}
}

func TestQuantile(t *testing.T) {
	var h Histogram
	if !math.IsNaN(h.Quantile(0.5)) {
		t.Error("empty histogram has a median")
	}
	for range 100 {
		h.Add(120) // bucket [100, 150)
	}
	h.Add(500_000)
	tests := []struct {
		q, want float64
	}{{0.5, 100 + 50*50.5/100}, {0.99, 100 + 50*99.99/100}, {1, 300000}}
	for _, tc := range tests {
		if got := h.Quantile(tc.q); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}
