package cascade

import (
	"context"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
)

// answer200 is a worked answer of about 200 words, the size the decision
// latency is quoted for.
var answer200 = strings.Repeat("She sells the remaining 9 eggs at the market for 9 * $2 = $18 every day, so over a week she makes 7 * 18 = $126. ", 8) + "\n#### 126"

const query200 = "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every week?"

// BenchmarkBaselineFields is the same-run baseline: one pass that splits
// the answer into words, the least any reader of the answer must do.
func BenchmarkBaselineFields(b *testing.B) {
	for b.Loop() {
		_ = len(strings.Fields(answer200))
	}
}

func benchVerifier(b *testing.B, ngrams bool) {
	ex := syntheticExamples(200)
	h := Candidates[0].Hyper
	if ngrams {
		h = Candidates[2].Hyper
	}
	v, err := fit(context.Background(), ex, h, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = v.Score(query200, answer200)
	}
}

// BenchmarkScoreSignals is the decision of a signals-only verifier (the
// one chosen on the recorded GSM8K rows) for a 200-word answer.
func BenchmarkScoreSignals(b *testing.B) { benchVerifier(b, false) }

// BenchmarkScoreNGrams adds answer n-grams.
func BenchmarkScoreNGrams(b *testing.B) { benchVerifier(b, true) }

func BenchmarkAnalyze(b *testing.B) {
	for b.Loop() {
		_ = Analyze(query200, answer200)
	}
}

func BenchmarkCheckArithmetic(b *testing.B) {
	for b.Loop() {
		_ = CheckArithmetic(answer200)
	}
}

// BenchmarkScoreRecorded scores the recorded Mixtral GSM8K answers in turn
// (about 110 words each), the answers the gateway's cascade reads.
func BenchmarkScoreRecorded(b *testing.B) {
	items, err := dataset.Recorded()
	if err != nil {
		b.Fatal(err)
	}
	var qs, as []string
	for _, it := range items {
		if it.Benchmark == "gsm8k" && len(qs) < 256 {
			qs, as = append(qs, it.Prompt), append(as, it.CheapResponse)
		}
	}
	v, err := fit(context.Background(), syntheticExamples(200), Candidates[0].Hyper, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = v.Score(qs[i%len(qs)], as[i%len(as)])
		i++
	}
}
