package features

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestWithIDFLayoutIsIdentical checks that an interleaved IDF table gives
// bit-identical vectors and state bytes, and that a table that does not
// hold the IDF is refused.
func TestWithIDFLayoutIsIdentical(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HashBits = 12
	v := mustFit(t, cfg)
	const stride = 8
	n := 1 << cfg.HashBits
	table := make([]float32, n*stride)
	for b := range n {
		table[b*stride] = v.IDF(uint32(b))
		for k := 1; k < stride; k++ {
			table[b*stride+k] = float32(b*k) + 0.5 // weights a model would store
		}
	}
	w, err := v.WithIDFLayout(table, stride)
	if err != nil {
		t.Fatal(err)
	}
	queries := append(slices.Clone(trainQueries), "never seen before", "", strings.Repeat("Krebs cycle ", 2000))
	for _, q := range queries {
		var a, b Vector
		v.Transform(q, &a)
		w.Transform(q, &b)
		if !slices.Equal(a.Idx, b.Idx) || !slices.EqualFunc(a.Val, b.Val, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
			t.Fatalf("%.40q: strided vectorizer differs\n got %v %v\nwant %v %v", q, b.Idx, b.Val, a.Idx, a.Val)
		}
	}
	sa, _ := v.AppendBinary(nil)
	sb, _ := w.AppendBinary(nil)
	if !bytes.Equal(sa, sb) {
		t.Error("strided vectorizer saves different state bytes")
	}
	// Layering a second layout on the strided one still reads the IDF.
	if _, err := w.WithIDFLayout(slices.Clone(table), stride); err != nil {
		t.Errorf("re-layout: %v", err)
	}

	bad := []struct {
		name   string
		table  []float32
		stride int
	}{
		{"short table", table[:len(table)-stride], stride},
		{"zero stride", table, 0},
		{"wrong idf", func() []float32 { c := slices.Clone(table); c[3*stride] += 1; return c }(), stride},
		{"wrong stride", table, stride - 1},
	}
	for _, tc := range bad {
		if _, err := v.WithIDFLayout(tc.table, tc.stride); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
