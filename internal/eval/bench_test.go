package eval

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkEvaluate measures the full metric set on a test split the size
// of recorded MMLU's (2,400 questions) with two routers.
func BenchmarkEvaluate(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n = 2400
	qs := make([]Question, n)
	runs := []RouterRun{{Name: "a"}, {Name: "b"}}
	for i := range qs {
		qs[i] = Question{Cheap: Outcome{Grade: pick(rng, 0.68), Cost: 0.0001}, Strong: Outcome{Grade: pick(rng, 0.8), Cost: 0.001}}
		for r := range runs {
			s := rng.Float64()
			runs[r].Scores = append(runs[r].Scores, s)
			runs[r].Strong = append(runs[r].Strong, s > 0.7)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(qs, runs, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func pick(rng *rand.Rand, p float64) string {
	if rng.Float64() < p {
		return C
	}
	return I
}
