package eval

import (
	"context"
	"errors"
	"testing"
)

// tableDrift is a Drifter reading each query's drift from a table.
type tableDrift map[string]float64

func (d tableDrift) Drift(q string) (float64, bool) {
	x, ok := d[q]
	return x, ok
}

func TestMeasureDrift(t *testing.T) {
	d := tableDrift{"a": 0, "b": 0.2, "c": 0.5, "d": 0.9, "e": 1}
	for _, c := range []struct {
		qs                  []string
		mean, median, share float64
		warn                bool
	}{
		{[]string{"a", "b", "c", "d", "e"}, 0.52, 0.5, 0.6, true},
		{[]string{"a", "b", "c", "d"}, 0.4, 0.35, 0.5, false}, // half is not most
		{[]string{"a", "a", "b"}, 0.2 / 3, 0, 0, false},
	} {
		s, err := MeasureDrift(context.Background(), d, c.qs)
		if err != nil || s == nil {
			t.Fatalf("%v: %+v, %v", c.qs, s, err)
		}
		if !driftNear(float64(s.Mean), c.mean) || !driftNear(float64(s.Median), c.median) || !driftNear(float64(s.OutOfDistributionShare), c.share) || s.Warning != c.warn || s.Threshold != 0.5 {
			t.Errorf("%v: %+v; want mean %v median %v share %v warning %v", c.qs, s, c.mean, c.median, c.share, c.warn)
		}
	}
	if s, err := MeasureDrift(context.Background(), d, []string{"a", "unknown"}); s != nil || err != nil {
		t.Errorf("a router that cannot tell: %+v, %v; want nil, nil", s, err)
	}
	if s, err := MeasureDrift(context.Background(), d, nil); s != nil || err != nil {
		t.Errorf("no queries: %+v, %v", s, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureDrift(ctx, d, []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v", err)
	}
}

func driftNear(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }
