package stats

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"single", ms(7), 0.99, 7 * time.Millisecond},
		{"median of 4 is the 2nd", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of 100 is the 99th", ms(seq(100)...), 0.99, 99 * time.Millisecond},
		{"p99 of 10 is the max", ms(seq(10)...), 0.99, 10 * time.Millisecond},
		{"q 0 is the min", ms(3, 4, 5), 0, 3 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.sorted, tc.q); got != tc.want {
				t.Fatalf("Percentile(q=%v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func TestSummarizeDoesNotReorderInput(t *testing.T) {
	in := []time.Duration{3, 1, 2}
	s := Summarize(in)
	if s.Min != 1 || s.Max != 3 || s.P50 != 2 || s.Mean != 2 || s.N != 3 {
		t.Fatalf("Summarize = %+v", s)
	}
	if in[0] != 3 {
		t.Fatal("Summarize sorted its input in place")
	}
}

func TestGrowthAndSlope(t *testing.T) {
	tests := []struct {
		name      string
		got, want float64
	}{
		{"linear growth", GrowthExponent(1000, 1, 4000, 4), 1},
		{"quadratic growth", GrowthExponent(1000, 1, 3000, 9), 2},
		{"slope of a line", Slope([]float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}), 2},
		{"median odd", Median([]float64{5, 1, 3}), 3},
		{"median even", Median([]float64{4, 1, 3, 2}), 2.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > 1e-9 {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	if !math.IsNaN(GrowthExponent(1, 0, 2, 1)) || !math.IsNaN(Slope([]float64{1}, []float64{1})) || !math.IsNaN(Median(nil)) {
		t.Fatal("undefined inputs must give NaN")
	}
}
