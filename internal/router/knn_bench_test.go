package router

import (
	"context"
	"testing"
)

var benchKNN = func() func(tb testing.TB) *Model {
	var m *Model
	return func(tb testing.TB) *Model {
		if m == nil {
			m, _ = trainRecorded(tb, mustRecorded(tb), func(c *TrainConfig) { c.Kind = KindKNN })
		}
		return m
	}
}()

// BenchmarkKNNPredict measures one kNN prediction (features, candidate
// accumulation over the inverted index, top-K) on a recorded-MMLU test
// prompt, the eval's workload, and on a 100-word query.
func BenchmarkKNNPredict(b *testing.B) {
	m := benchKNN(b)
	test := mustRecorded(b).test
	b.Run("mmlu-test", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Predict(test[i%len(test)].Prompt)
			i++
		}
	})
	q := benchQuery(b, 100)
	b.Run("words=100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Predict(q)
		}
	})
}

// BenchmarkKNNEval is what eval spends on the kNN baseline for recorded
// MMLU: Train (validation fit and scoring, final fit) plus one prediction
// per test question.
func BenchmarkKNNEval(b *testing.B) {
	d := mustRecorded(b)
	cfg := DefaultTrainConfig()
	cfg.Kind, cfg.SFT = KindKNN, d.sft
	for b.Loop() {
		m, _, err := Train(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range d.test {
			m.Predict(r.Prompt)
		}
	}
}
