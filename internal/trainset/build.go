// Package trainset turns oracle rows into the SFT and DPO training files
// (format: package trl), labelling each query with its cell's policy and
// pairing policies where the oracle matrix prefers one.
package trainset

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// Output file names written by Write.
const (
	SFTFile = "sft_train.jsonl"
	DPOFile = "dpo_train.jsonl"
	// OutcomesFile holds every model's graded result per query, for the
	// N-model router. It is written next to the TRL files, which it leaves
	// unchanged, so a two-model router trains on the same bytes as before.
	OutcomesFile = "outcomes_train.jsonl"
)

// Build turns oracle rows into SFT rows (one per row, labelled with the
// row's policy) and DPO rows (one per row whose cell declares a preference
// in m). Rows whose cell m does not know yield no DPO row; ReadDataset has
// already rejected malformed cells.
func Build(rows []oracle.Row, m oracle.Matrix) ([]SFTRow, []DPORow) {
	sft := make([]SFTRow, 0, len(rows))
	var dpo []DPORow
	for _, r := range rows {
		prompt := trl.Prompt(r.Query)
		sft = append(sft, SFTRow{
			Prompt: prompt, Completion: trl.Completion(r.Policy),
			ID: r.ID, Query: r.Query, Policy: r.Policy, Cell: r.Cell, Topic: r.Topic,
			CheapAnswer: answerText(r.Cheap.Answer),
		})
		d, err := m.Cell(r.Cell)
		if err != nil || d.Prefer == nil {
			continue
		}
		dpo = append(dpo, DPORow{
			Prompt: prompt, Chosen: trl.Completion(d.Prefer.Chosen), Rejected: trl.Completion(d.Prefer.Rejected),
			ID: r.ID, Query: r.Query, Cell: r.Cell,
		})
	}
	return sft, dpo
}

// answerText is a real answer, or "" for the recorded-outcome stand-ins:
// those carry the grade itself, and a verifier trained on them would learn
// to read the label.
func answerText(a string) string {
	if _, ok := grade.ParseRecordedOutcome(a); ok || strings.TrimSpace(a) == "" {
		return ""
	}
	return a
}

// Outcomes lists every model's graded result per row, in the row's model
// order, with answer texts only where they are real (see answerText).
func Outcomes(rows []oracle.Row) []trl.OutcomeRow {
	out := make([]trl.OutcomeRow, len(rows))
	for i, r := range rows {
		res := r.ModelResults()
		o := trl.OutcomeRow{ID: r.ID, Query: r.Query, Topic: r.Topic, Results: make([]trl.ModelOutcome, len(res))}
		for k, m := range res {
			o.Results[k] = trl.ModelOutcome{
				Model: m.Model, Grade: m.Grade, InputTokens: m.InputTokens,
				OutputTokens: m.OutputTokens + m.ThinkingTokens, CostUSD: m.Cost, Answer: answerText(m.Answer),
			}
		}
		out[i] = o
	}
	return out
}

// Stats counts what Build produced.
type Stats struct {
	SFT      int            `json:"sft_rows"`
	Pairs    int            `json:"dpo_pairs"`
	Policies map[string]int `json:"policies"`
	// Models are the models outcomes_train.jsonl lists.
	Models []string `json:"models"`
}

// Write builds and atomically writes sft_train.jsonl, dpo_train.jsonl and
// outcomes_train.jsonl to dir, in that order; each is complete or absent.
func Write(dir string, rows []oracle.Row, m oracle.Matrix) (Stats, error) {
	sft, dpo := Build(rows, m)
	st := Stats{SFT: len(sft), Pairs: len(dpo), Policies: map[string]int{}, Models: oracle.ModelNames(rows)}
	for _, r := range sft {
		st.Policies[r.Policy]++
	}
	if err := jsonl.WriteAtomic(filepath.Join(dir, SFTFile), sft); err != nil {
		return st, fmt.Errorf("write SFT file: %w", err)
	}
	if err := jsonl.WriteAtomic(filepath.Join(dir, DPOFile), dpo); err != nil {
		return st, fmt.Errorf("write DPO file: %w", err)
	}
	if err := jsonl.WriteAtomic(filepath.Join(dir, OutcomesFile), Outcomes(rows)); err != nil {
		return st, fmt.Errorf("write outcomes file: %w", err)
	}
	return st, nil
}
