package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/eval"
)

func TestHTMLDrift(t *testing.T) {
	for _, c := range []struct {
		drift *eval.DriftSection
		want  []string
		not   []string
	}{
		{nil, nil, []string{"Drift of the test queries"}},
		{&eval.DriftSection{Threshold: 0.5, Mean: 0.1, Median: 0, OutOfDistributionShare: 0.02},
			[]string{"Drift of the test queries", "mean 0.100", "2.0% out of distribution (drift ≥ 0.5)"}, []string{"Warning: most test queries"}},
		{&eval.DriftSection{Threshold: 0.5, Mean: 0.9, Median: 1, OutOfDistributionShare: 0.8, Warning: true},
			[]string{"80.0% out of distribution", "Warning: most test queries are out of distribution"}, nil},
	} {
		cmp := fixture(t)
		cmp.Drift = c.drift
		var b bytes.Buffer
		if err := WriteHTML(&b, cmp); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("drift %+v: report lacks %q", c.drift, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(out, w) {
				t.Errorf("drift %+v: report has %q", c.drift, w)
			}
		}
	}
}
