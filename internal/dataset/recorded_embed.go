package dataset

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"sync"

	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/solution"
)

//go:embed embedded/recorded.jsonl.gz
var recordedGz []byte

var recorded = sync.OnceValues(func() ([]RecordedItem, error) {
	zr, err := gzip.NewReader(bytes.NewReader(recordedGz))
	if err != nil {
		return nil, fmt.Errorf("embedded recorded data: %w", err)
	}
	items, err := jsonl.Decode[RecordedItem](zr, "embedded/recorded.jsonl")
	if err != nil {
		return nil, err
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("embedded recorded data: %w", err)
	}
	return items, nil
})

// Recorded returns every embedded recorded item (MMLU then GSM8K), decoded
// once. Callers must not modify the returned slice's elements.
func Recorded() ([]RecordedItem, error) {
	return recorded()
}

// RecordedItems returns the embedded recorded benchmark named "mmlu",
// "gsm8k" or "recorded" (both) as Items. Topic is the MMLU subject, or
// "gsm8k"; Answer is the derived gold, empty where unknown.
func RecordedItems(benchmark string) ([]Item, error) {
	all, err := Recorded()
	if err != nil {
		return nil, err
	}
	switch benchmark {
	case "mmlu", "gsm8k", "recorded":
	default:
		return nil, fmt.Errorf("unknown recorded benchmark %q (want mmlu, gsm8k or recorded)", benchmark)
	}
	out := make([]Item, 0, len(all))
	for _, r := range all {
		if benchmark != "recorded" && r.Benchmark != benchmark {
			continue
		}
		topic := r.Subject
		if r.Benchmark == "gsm8k" {
			topic = "gsm8k"
		}
		out = append(out, Item{ID: r.ID, Problem: r.Prompt, Answer: r.Gold, Topic: topic, Benchmark: r.Benchmark})
	}
	return out, nil
}

// RecordedByID indexes the embedded recorded items by ID, for graders that
// look up recorded outcomes of a split item.
func RecordedByID() (map[string]RecordedItem, error) {
	all, err := Recorded()
	if err != nil {
		return nil, err
	}
	m := make(map[string]RecordedItem, len(all))
	for _, r := range all {
		m[r.ID] = r
	}
	return m, nil
}

// GoldFromResponses derives a GSM8K gold answer from the recorded responses:
// the final number of a response recorded as correct. A "#### N" answer is
// preferred over prose, and the strong model's over the cheap one's when
// both are equally explicit. Empty when neither response was correct.
func GoldFromResponses(r RecordedItem) string {
	type cand struct {
		text string
		ok   bool
	}
	cands := []cand{{r.StrongResponse, r.StrongCorrect}, {r.CheapResponse, r.CheapCorrect}}
	for _, c := range cands {
		if c.ok && bytes.Contains([]byte(c.text), []byte("####")) {
			if n, ok := solution.FinalNumber(c.text); ok {
				return n
			}
		}
	}
	for _, c := range cands {
		if c.ok {
			if n, ok := solution.FinalNumber(c.text); ok {
				return n
			}
		}
	}
	return ""
}
