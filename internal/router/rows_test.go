package router

import (
	"math"
	"strings"
	"testing"
)

// samePrediction compares predictions bit for bit (NaN-safe).
func samePrediction(a, b Prediction) bool {
	eq := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }
	if !eq(a.Score, b.Score) || !eq(a.TopicGain, b.TopicGain) {
		return false
	}
	for k := range a.Policy {
		if !eq(a.Policy[k], b.Policy[k]) {
			return false
		}
	}
	for k := range a.Outcome {
		if !eq(a.Outcome[k], b.Outcome[k]) {
			return false
		}
	}
	return true
}

// TestFusedRowsMatchPlainPath checks that trained and loaded classifiers
// use the fused IDF+weights rows, and that they predict bit for bit what
// the plain vectorizer and weight matrix do.
func TestFusedRowsMatchPlainPath(t *testing.T) {
	m := mustTrained(t, KindClassifier)
	loaded, err := Load(mustSave(t, m))
	if err != nil {
		t.Fatal(err)
	}
	qs := append(fixtureQueries(t), "an unseen query about quasars", "", "?",
		"Über die Brücke: 日本語のテキスト, naïve café — 3×4=12?", strings.Repeat("Krebs cycle enzyme ", 800))
	for name, fused := range map[string]*Model{"trained": m, "loaded": loaded} {
		if fused.rowVec == nil {
			t.Fatalf("%s model does not use the fused rows", name)
		}
		plain := &Model{Meta: fused.Meta, vec: fused.vec, w: fused.w, bias: fused.bias, knn: fused.knn, topic: fused.topic, scorer: fused.scorer}
		for _, q := range qs {
			if a, b := fused.Predict(q), plain.Predict(q); !samePrediction(a, b) {
				t.Fatalf("%s %.40q: fused %+v, plain %+v", name, q, a, b)
			}
		}
	}
}
