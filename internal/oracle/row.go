// Package oracle builds the oracle dataset: every model answers every
// question (by default the cheap and the strong one), a blind judge grades
// each answer, and the 3x3 oracle matrix maps the cheap/strong pair of
// grades to a policy.
package oracle

import (
	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/grade"
)

// The grades rows carry, repeated from package grade for callers that hold
// oracle rows and compare their grades.
const (
	Correct      = grade.Correct
	Incorrect    = grade.Incorrect
	NotAttempted = grade.NotAttempted
)

// ModelResult is one model's answer to one question and its grade.
type ModelResult struct {
	Model           string  `json:"model"`
	Answer          string  `json:"answer"`
	Grade           string  `json:"grade"`
	InputTokens     int     `json:"input_tokens"`
	OutputTokens    int     `json:"output_tokens"`
	ThinkingTokens  int     `json:"thinking_tokens"`
	TokensEstimated bool    `json:"tokens_estimated,omitempty"`
	Cost            float64 `json:"cost_usd"`
	LatencyMS       float64 `json:"latency_ms"`
	// GradeMethod is the judge that decided: llm, choice, numeric, recorded
	// or none.
	GradeMethod string `json:"grade_method,omitempty"`
	// JudgeCost is what grading this answer cost (zero for rule judges).
	JudgeCost float64 `json:"judge_cost_usd,omitempty"`
}

// Row is one line of oracle_dataset.jsonl.
type Row struct {
	ID        string      `json:"id"`
	Query     string      `json:"query"`
	Gold      string      `json:"gold"`
	Benchmark string      `json:"benchmark,omitempty"`
	Topic     string      `json:"topic,omitempty"`
	Cheap     ModelResult `json:"cheap"`
	Strong    ModelResult `json:"strong"`
	// Results lists every model's result, cheap and strong included, when
	// the run had more models than the pair; use ModelResults to read it.
	Results []ModelResult `json:"results,omitempty"`
	// Cell is "<cheap grade>/<strong grade>", e.g. "INCORRECT/CORRECT".
	Cell            string                   `json:"cell"`
	Policy          string                   `json:"policy"`
	Characteristics features.Characteristics `json:"characteristics"`
	// Pairwise is the pairwise judge's record, for rows labelled without a
	// gold answer by comparing the two answers (--judge pairwise).
	Pairwise *PairwiseResult `json:"pairwise,omitempty"`
}
