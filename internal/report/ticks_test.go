package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		format tickFormat
		vals   []float64
		labels []string
	}{
		{"share 0..1", 0, 1, percentLabels,
			[]float64{0, 0.2, 0.4, 0.6, 0.8, 1}, []string{"0%", "20%", "40%", "60%", "80%", "100%"}},
		{"accuracy", 0.48, 0.89, percentLabels,
			[]float64{0.5, 0.6, 0.7, 0.8}, []string{"50%", "60%", "70%", "80%"}},
		{"bound off by rounding keeps its tick", 0.1, 0.7 - 0.4, percentLabels,
			[]float64{0.1, 0.15, 0.2, 0.25, 0.3}, []string{"10%", "15%", "20%", "25%", "30%"}},
		{"sub-percent step", 0.662, 0.678, percentLabels,
			[]float64{0.665, 0.67, 0.675}, []string{"66.5%", "67.0%", "67.5%"}},
		{"zero-width share", 0.5, 0.5, percentLabels,
			[]float64{0.5}, []string{"50%"}},
		{"zero-width at zero", 0, 0, percentLabels,
			[]float64{0}, []string{"0%"}},
		{"negative to positive", -1, 1, percentLabels,
			[]float64{-1, -0.5, 0, 0.5, 1}, []string{"-100%", "-50%", "0%", "50%", "100%"}},
		{"tiny cost", 3e-5, 4.4e-3, dollarLabels,
			[]float64{0.001, 0.002, 0.003, 0.004}, []string{"$0.0010", "$0.0020", "$0.0030", "$0.0040"}},
		{"sub-cent cost", 4e-5, 2.1e-4, dollarLabels,
			[]float64{5e-5, 1e-4, 1.5e-4, 2e-4}, []string{"$0.00005", "$0.00010", "$0.00015", "$0.00020"}},
		{"cents", 0, 0.5, dollarLabels,
			[]float64{0, 0.1, 0.2, 0.3, 0.4, 0.5}, []string{"$0.00", "$0.10", "$0.20", "$0.30", "$0.40", "$0.50"}},
		{"dollars", 1, 20, dollarLabels,
			[]float64{5, 10, 15, 20}, []string{"$5.00", "$10.00", "$15.00", "$20.00"}},
		{"zero-width cost", 0.0123, 0.0123, dollarLabels,
			[]float64{0.0123}, []string{"$0.012"}},
		{"zero-width zero cost", 0, 0, dollarLabels,
			[]float64{0}, []string{"$0.00"}},
		{"reversed", 1, 0, percentLabels, nil, nil},
		{"NaN", math.NaN(), 1, percentLabels, nil, nil},
		{"infinite", 0, math.Inf(1), dollarLabels, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var vals []float64
			var labels []string
			for _, tk := range niceTicks(tc.lo, tc.hi, tc.format) {
				vals, labels = append(vals, tk.v), append(labels, tk.label)
			}
			if !slices.Equal(vals, tc.vals) || !slices.Equal(labels, tc.labels) {
				t.Errorf("niceTicks(%g, %g) = %v %q, want %v %q", tc.lo, tc.hi, vals, labels, tc.vals, tc.labels)
			}
		})
	}
}

// TestNiceTicksInRange checks, over random ranges 1e-7 to 1e3 wide,
// what the table cannot: ticks stay in the range, there are 2 to maxTicks
// of them, and no label is in e-notation or repeats.
func TestNiceTicksInRange(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		lo := math.Pow(10, -7+10*r.Float64()) * r.Float64()
		hi := lo + math.Pow(10, -7+10*r.Float64())
		if hi-lo < 1e-6*hi {
			continue // within rounding of zero width: one tick, tested above
		}
		for _, format := range []tickFormat{percentLabels, dollarLabels} {
			ts := niceTicks(lo, hi, format)
			if len(ts) < 2 || len(ts) > maxTicks {
				t.Fatalf("[%g, %g]: %d ticks", lo, hi, len(ts))
			}
			seen := map[string]bool{}
			for _, tk := range ts {
				slack := 1e-9 * (hi - lo)
				if tk.v < lo-slack || tk.v > hi+slack {
					t.Fatalf("[%g, %g]: tick %g outside", lo, hi, tk.v)
				}
				if strings.ContainsAny(tk.label, "eE") || seen[tk.label] {
					t.Fatalf("[%g, %g]: labels %v", lo, hi, ts)
				}
				seen[tk.label] = true
			}
		}
	}
}

func TestTickerMatchesSVG(t *testing.T) {
	got := ticker(dollarLabels).Ticks(3e-5, 4.4e-3)
	want := niceTicks(3e-5, 4.4e-3, dollarLabels)
	if len(got) != len(want) {
		t.Fatalf("plot ticks %v, want %v", got, want)
	}
	for i := range got {
		if got[i].Value != want[i].v || got[i].Label != want[i].label {
			t.Errorf("plot tick %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
