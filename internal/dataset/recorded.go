package dataset

// RecordedItem is one question of the embedded recorded-outcome benchmark
// (lm-sys/RouteLLM evaluation data, Apache-2.0): real outcomes of a cheap
// model (Mixtral-8x7B-Instruct) and a strong one (GPT-4-1106-preview).
type RecordedItem struct {
	ID        string `json:"id"`
	Benchmark string `json:"benchmark"` // "mmlu" or "gsm8k"
	Subject   string `json:"subject,omitempty"`
	Prompt    string `json:"prompt"`
	// Gold is the reference answer where it can be derived (GSM8K: the final
	// number of a response recorded as correct); empty otherwise.
	Gold          string `json:"gold,omitempty"`
	CheapCorrect  bool   `json:"cheap_correct"`
	StrongCorrect bool   `json:"strong_correct"`
	// Full responses, recorded for GSM8K only.
	CheapResponse  string `json:"cheap_response,omitempty"`
	StrongResponse string `json:"strong_response,omitempty"`
}
