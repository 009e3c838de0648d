// Package dataset loads, converts, embeds and splits benchmarks. Every stage
// of the pipeline exchanges plain JSONL so users can inspect and edit it.
package dataset

// Item is one benchmark question, the row format of simpleqa.jsonl, the
// recorded benchmarks and the split files.
type Item struct {
	ID      string `json:"id"`
	Problem string `json:"problem"`
	// Answer is the gold target. It may be empty for recorded items whose
	// gold is unknown (MMLU); those are graded from recorded outcomes.
	Answer     string   `json:"answer"`
	Topic      string   `json:"topic,omitempty"`
	AnswerType string   `json:"answer_type,omitempty"`
	URLs       []string `json:"urls,omitempty"`
	// Benchmark is "simpleqa", "mmlu", "gsm8k" or "custom".
	Benchmark string `json:"benchmark,omitempty"`
}
