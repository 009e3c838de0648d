package features

import (
	"encoding/json"
	"math"
	"testing"
	"unicode/utf8"
)

// FuzzAnalyze checks the query characteristics the oracle records for any
// text, valid UTF-8 or not: no panic, counts within the query's size,
// ratios in [0, 1], and a JSON encoding that always works (a NaN would
// make the oracle's row unwritable).
func FuzzAnalyze(f *testing.F) {
	for _, q := range []string{"", "What is 2+2?", "def f(x): return x", "A) one\nB) two", "\xff\xfe\x00", "Who wrote Hamlet? And also when?"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		c := Analyze(q)
		n := utf8.RuneCountInString(q)
		switch {
		case c.Chars < 0 || c.Words < 0 || c.Tokens < 0 || c.Lines < 0 || c.Digits < 0 || c.CapitalEntities < 0 || c.Questions < 0:
			t.Fatalf("negative count: %+v", c)
		case c.Digits > len(q) || c.Words > len(q) || c.Questions > len(q) || c.CapitalEntities > len(q):
			t.Fatalf("count above the query's %d bytes: %+v", len(q), c)
		case math.IsNaN(c.DigitRatio) || c.DigitRatio < 0 || c.DigitRatio > 1:
			t.Fatalf("digit ratio %v outside [0, 1] for %d runes", c.DigitRatio, n)
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatalf("characteristics do not encode: %v", err)
		}
	})
}
