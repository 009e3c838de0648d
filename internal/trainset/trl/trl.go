// Package trl is the training-file format shared by prepare, which writes
// it, and the router, which trains on it: the router prompt template, the
// rows of sft_train.jsonl and dpo_train.jsonl in TRL's prompt-completion and
// preference formats, and the per-model rows of outcomes_train.jsonl. It imports only the policy labels, so the router
// reads its training files without linking the oracle that grades them.
package trl

import (
	"fmt"
	"strings"

	"github.com/llmrouter/llmrouter/internal/policy"
)

// TemplateVersion changes whenever PromptTemplate changes.
const TemplateVersion = 1

const (
	queryStart = "<query>\n"
	queryEnd   = "\n</query>"
)

// Prompt renders the router prompt for query. An LLM router fine-tuned with
// TRL on these files sees exactly this text; the Go router recovers the
// query with QueryFromPrompt.
func Prompt(query string) string {
	return "You are a query router. Classify the query into one routing policy: " +
		strings.Join(policy.Labels, ", ") + ".\n" +
		policy.Standard + ": the cheap model answers it well.\n" +
		policy.Complex + ": only the strong model answers it well.\n" +
		policy.Ambiguous + ": neither model is reliable.\n\n" +
		queryStart + query + queryEnd + "\n\nPolicy:"
}

// QueryFromPrompt extracts the query from a prompt made by Prompt.
func QueryFromPrompt(prompt string) (string, error) {
	i := strings.Index(prompt, queryStart)
	j := strings.LastIndex(prompt, queryEnd)
	if i < 0 || j < i+len(queryStart) {
		return "", fmt.Errorf("prompt does not contain a <query>...</query> block")
	}
	return prompt[i+len(queryStart) : j], nil
}

// Completion renders a policy label as a TRL completion (leading space, as
// tokenizers expect after "Policy:").
func Completion(label string) string { return " " + label }

// SFTRow is one line of sft_train.jsonl: TRL prompt-completion format plus
// metadata columns (TRL ignores unknown columns; the Go trainer uses them).
type SFTRow struct {
	Prompt     string `json:"prompt"`
	Completion string `json:"completion"`
	ID         string `json:"id"`
	Query      string `json:"query"`
	Policy     string `json:"policy"`
	// Cell is "<cheap grade>/<strong grade>" from the oracle.
	Cell  string `json:"cell"`
	Topic string `json:"topic,omitempty"`
	// CheapAnswer is the cheap model's answer text, which the cascade
	// verifier learns from; empty where only an outcome was recorded.
	CheapAnswer string `json:"cheap_answer,omitempty"`
}

// DPORow is one line of dpo_train.jsonl: TRL preference format plus metadata.
type DPORow struct {
	Prompt   string `json:"prompt"`
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`
	ID       string `json:"id"`
	Query    string `json:"query"`
	Cell     string `json:"cell"`
}

// OutcomeRow is one line of outcomes_train.jsonl: every model's graded
// result on one query. The N-model router learns each model's chance of
// success and its cost from these; the policy labels above only speak of
// the cheap/strong pair.
type OutcomeRow struct {
	ID      string         `json:"id"`
	Query   string         `json:"query"`
	Topic   string         `json:"topic,omitempty"`
	Results []ModelOutcome `json:"results"`
}

// ModelOutcome is one model's graded answer to one query.
type ModelOutcome struct {
	Model string `json:"model"`
	// Grade is CORRECT, INCORRECT or NOT_ATTEMPTED.
	Grade       string `json:"grade"`
	InputTokens int    `json:"input_tokens"`
	// OutputTokens are the billed output tokens, thinking included.
	OutputTokens int     `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	// Answer is the answer text, for a cascade verifier; empty where only
	// an outcome was recorded.
	Answer string `json:"answer,omitempty"`
}
