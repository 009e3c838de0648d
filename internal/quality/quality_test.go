package quality_test

import (
	"math"
	"testing"

	"github.com/llmrouter/llmrouter/internal/quality"
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
			got, err := quality.APGR(tc.scores, tc.cheap, tc.strong)
			if err != nil || math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("APGR = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if a, err := quality.APGR([]float64{1}, []float64{1, 0}, []float64{1}); err == nil || !math.IsNaN(a) {
		t.Errorf("length mismatch: %v, %v", a, err)
	}
	if a, err := quality.APGR(nil, nil, nil); err == nil || !math.IsNaN(a) {
		t.Errorf("no queries: %v, %v", a, err)
	}
	if a, err := quality.APGR([]float64{math.NaN(), 1}, []float64{0, 1}, []float64{1, 1}); err == nil || !math.IsNaN(a) {
		t.Errorf("NaN score: %v, %v", a, err)
	}
	if a, err := quality.APGR([]float64{1, 0}, []float64{1, 0}, []float64{1, 0}); err != nil || !math.IsNaN(a) {
		t.Errorf("no gap: APGR = %v, %v; want NaN", a, err)
	}
}

func TestExpectedAccuraciesTies(t *testing.T) {
	// Queries 0 and 1 tie; only query 1 gains. Sending one of the two at
	// random recovers half a query in expectation.
	acc, err := quality.ExpectedAccuracies([]float64{0.7, 0.7, 0.1}, []float64{1, 0, 1}, []float64{1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{2.0 / 3, 2.5 / 3, 1, 1}
	for k := range want {
		if math.Abs(acc[k]-want[k]) > 1e-12 {
			t.Fatalf("acc = %v, want %v", acc, want)
		}
	}
}

func TestStrongShareAt(t *testing.T) {
	scores, cheap, strong := []float64{0.9, 0.8, 0.1, 0.0}, []float64{0, 0, 1, 1}, []float64{1, 1, 1, 1}
	tests := []struct{ frac, want float64 }{
		{0.5, 0},     // cheap-only already reaches 50%
		{0.75, 0.25}, // one strong call: 3 of 4
		{0.875, 0.375},
		{1, 0.5},
	}
	for _, tc := range tests {
		got, err := quality.StrongShareAt(scores, cheap, strong, tc.frac)
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("frac %v: %v, %v; want %v", tc.frac, got, err, tc.want)
		}
	}
	if _, err := quality.StrongShareAt(scores, cheap[:1], strong, 0.9); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestQuantiles(t *testing.T) {
	q := quality.Quantiles([]float64{3, 1, 2, 4, 0}, 5)
	want := []float64{0, 1, 2, 3, 4}
	for i := range want {
		if q[i] != want[i] {
			t.Fatalf("quantiles = %v, want %v", q, want)
		}
	}
	if q := quality.Quantiles([]float64{0, 1}, 3); q[1] != 0.5 {
		t.Errorf("interpolated median = %v, want 0.5", q[1])
	}
	if quality.Quantiles(nil, 5) != nil || quality.Quantiles([]float64{1}, 1) != nil {
		t.Error("degenerate input gave quantiles")
	}
}

func TestThresholdForShare(t *testing.T) {
	sorted := []float64{0, 0.25, 0.5, 0.75, 1}
	tests := []struct{ share, want float64 }{
		{0.5, 0.5},
		{0.25, 0.75},
		{0.125, 0.875},
		{1, 0},
		{0, 1},
	}
	for _, tc := range tests {
		if got := quality.ThresholdForShare(sorted, tc.share); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("share %v: %v, want %v", tc.share, got, tc.want)
		}
	}
	if got := quality.ThresholdForShare([]float64{-3, 7}, 0.5); got != 1 {
		t.Errorf("unclamped threshold %v", got)
	}
	if got := quality.ThresholdForShare(nil, 0.3); got != 0.5 {
		t.Errorf("no scores: %v, want 0.5", got)
	}
}

func TestTopShareThreshold(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		share  float64
		want   float64
	}{
		{"none", []float64{0.1, 0.5}, 0, math.Inf(1)},
		{"half", []float64{0.1, 0.9, 0.5, 0.3}, 0.5, 0.5},
		{"all", []float64{0.1, 0.9}, 1, 0.1},
		{"rounds", []float64{0.1, 0.2, 0.3}, 0.4, 0.3},
		{"empty", nil, 0.5, math.Inf(1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := quality.TopShareThreshold(tc.scores, tc.share); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
