package solution_test

import (
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/solution"
)

// TestFinalNumberAgreesOnRecorded guards the extractor against regressions
// on real data: when both models were recorded correct, their extracted
// final numbers should nearly always agree (645 of 650 at generation time).
func TestFinalNumberAgreesOnRecorded(t *testing.T) {
	if testing.Short() {
		t.Skip("scans all recorded GSM8K responses")
	}
	all, err := dataset.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	both, agree := 0, 0
	for _, r := range all {
		if r.Benchmark != "gsm8k" || !r.CheapCorrect || !r.StrongCorrect {
			continue
		}
		both++
		a, _ := solution.FinalNumber(r.CheapResponse)
		b, _ := solution.FinalNumber(r.StrongResponse)
		if a == b {
			agree++
		}
	}
	if both == 0 || float64(agree)/float64(both) < 0.98 {
		t.Fatalf("final numbers agree on %d of %d both-correct items, want ≥ 98%%", agree, both)
	}
}
