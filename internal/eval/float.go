// Package eval computes the router evaluation metrics as docs/evaluation.md
// defines them ("Metric definitions"): accuracy, PGR, APGR with expected
// accuracy under random tie-breaking, strong share at X% of strong-only
// accuracy, the ROC AUC of the score, cost savings, the SimpleQA metrics,
// and the baselines (cheap-only, strong-only, random at the same share, and
// the oracle).
//
// Every metric that can be undefined (a zero denominator, an empty set) is a
// NaN internally and encodes as JSON null, so degenerate inputs never panic
// and never produce invalid JSON.
package eval

import (
	"encoding/json"
	"math"
	"strconv"
)

// Float is a float64 whose NaN and ±Inf values encode as JSON null (the
// metric is undefined) and whose null decodes back to NaN.
type Float float64

// NaN is the undefined metric.
func NaN() Float { return Float(math.NaN()) }

// Valid reports whether f is a finite number.
func (f Float) Valid() bool {
	v := float64(f)
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// MarshalJSON writes null for an undefined value; finite values use the
// shortest representation that round-trips.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Valid() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(f), 'g', -1, 64), nil
}

// UnmarshalJSON reads null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = NaN()
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}
