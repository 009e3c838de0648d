package oracle

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/llmrouter/llmrouter/internal/atomicfile"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
)

// Skipped is an item left out after a per-item error (--skip-errors).
type Skipped struct {
	ID    string `json:"id"`
	Side  string `json:"side"`
	Kind  string `json:"kind"`
	Error string `json:"error"`
}

// ModelSummary totals one answering model over the dataset.
type ModelSummary struct {
	Model        string  `json:"model"`
	Accuracy     float64 `json:"accuracy"`
	Correct      int     `json:"correct"`
	Incorrect    int     `json:"incorrect"`
	NotAttempted int     `json:"not_attempted"`
	CostUSD      float64 `json:"cost_usd"`
	TokenTotals
}

// TokenTotals sums token usage and counts calls whose usage was estimated
// locally or missing upstream.
type TokenTotals struct {
	InputTokens     int `json:"input_tokens"`
	OutputTokens    int `json:"output_tokens"`
	ThinkingTokens  int `json:"thinking_tokens"`
	EstimatedCalls  int `json:"estimated_token_calls"`
	MissingUsageCnt int `json:"missing_usage_calls"`
}

// JudgeSummary totals grading.
type JudgeSummary struct {
	Name    string         `json:"name"`
	CostUSD float64        `json:"cost_usd"`
	Methods map[string]int `json:"methods"`
	TokenTotals
}

// Summary is oracle_summary.json.
type Summary struct {
	Questions int            `json:"questions"`
	Rows      int            `json:"rows"`
	Cells     map[string]int `json:"cells"`
	Policies  map[string]int `json:"policies"`
	Cheap     ModelSummary   `json:"cheap"`
	Strong    ModelSummary   `json:"strong"`
	// Models totals every model, in Config.Models order, when the run had
	// more than the cheap/strong pair.
	Models    []ModelSummary `json:"models,omitempty"`
	Judge     JudgeSummary   `json:"judge"`
	TotalCost float64        `json:"total_cost_usd"`
	// CallsMade were paid for in this run; CallsResumed came from the journal.
	CallsMade    int `json:"calls_made"`
	CallsResumed int `json:"calls_resumed"`
	// RateLimitRequeues counts calls put back in the queue after the
	// upstream still refused them with 429 after the client's retries.
	RateLimitRequeues int       `json:"rate_limit_requeues,omitempty"`
	Skipped           []Skipped `json:"skipped,omitempty"`
	WallSeconds       float64   `json:"wall_seconds"`
	Matrix            string    `json:"matrix"`
	// Label is the label mode: empty (gold answers), pairwise or reference.
	Label string `json:"label,omitempty"`
	// Batch is true when the calls went through batch APIs, so every cost
	// is at the batch price.
	Batch bool `json:"batch,omitempty"`
	// PairwiseOutcomes counts the combined pairwise outcomes (tie,
	// strong_better, cheap_better, both_poor) of the rows.
	PairwiseOutcomes map[string]int `json:"pairwise_outcomes,omitempty"`
	// Rows holds the dataset in input order, for in-process callers.
	Dataset []Row `json:"-"`
}

func (r *runner) buildRows(states []itemState) ([]Row, error) {
	rows := make([]Row, 0, len(states))
	for i, st := range states {
		if st.err != nil {
			continue // skipped per-item failure, listed in the summary
		}
		it := r.cfg.Items[i]
		row := Row{ID: it.ID, Query: it.Problem, Gold: it.Answer, Benchmark: it.Benchmark, Topic: it.Topic,
			Characteristics: st.chars}
		if r.multi() {
			row.Results = make([]ModelResult, len(r.sides))
			for k, s := range r.sides {
				row.Results[k] = modelResult(s.model, st.ans[k], st.grade[k])
			}
		}
		row.Cheap = modelResult(r.cfg.Cheap, st.ans[r.cheap], st.grade[r.cheap])
		row.Strong = modelResult(r.cfg.Strong, st.ans[r.strong], st.grade[r.strong])
		row.Cell = grade.Cell(row.Cheap.Grade, row.Strong.Grade)
		d, err := r.cfg.Matrix.Cell(row.Cell)
		if err != nil {
			return nil, err
		}
		row.Policy = d.Policy
		if st.pair[0] != nil {
			row.Pairwise = r.pairwiseResult(&st)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func modelResult(model string, ans, graded *CallRecord) ModelResult {
	u := ans.Result.Usage
	return ModelResult{
		Model:           model,
		Answer:          ans.Result.Text,
		Grade:           graded.Result.Grade,
		InputTokens:     u.InputTokens,
		OutputTokens:    u.OutputTokens,
		ThinkingTokens:  u.ThinkingTokens,
		TokensEstimated: u.Estimated || u.Missing,
		Cost:            ans.Result.Cost,
		LatencyMS:       ans.Result.LatencyMS,
		GradeMethod:     graded.Result.Method,
		JudgeCost:       graded.Result.Cost,
	}
}

func (t *TokenTotals) add(res CallResult) {
	t.InputTokens += res.Usage.InputTokens
	t.OutputTokens += res.Usage.OutputTokens
	t.ThinkingTokens += res.Usage.ThinkingTokens
	if res.Usage.Estimated {
		t.EstimatedCalls++
	}
	if res.Usage.Missing {
		t.MissingUsageCnt++
	}
}

func (r *runner) summarize(rows []Row, states []itemState, wall time.Duration) *Summary {
	s := &Summary{
		Questions: len(r.cfg.Items), Rows: len(rows),
		Cells: map[string]int{}, Policies: map[string]int{},
		Judge:     JudgeSummary{Name: r.cfg.JudgeName, Methods: map[string]int{}},
		CallsMade: r.calls, CallsResumed: r.resumed, RateLimitRequeues: r.requeues, Skipped: r.skipped,
		WallSeconds: wall.Seconds(), Matrix: r.cfg.Matrix.Source, Label: r.cfg.Label, Dataset: rows,
		Batch: r.cfg.Batch,
	}
	for _, g := range grade.All {
		for _, h := range grade.All {
			s.Cells[grade.Cell(g, h)] = 0
		}
	}
	for _, row := range rows {
		s.Cells[row.Cell]++
		s.Policies[row.Policy]++
		if row.Pairwise != nil {
			if s.PairwiseOutcomes == nil {
				s.PairwiseOutcomes = map[string]int{}
			}
			s.PairwiseOutcomes[row.Pairwise.Outcome]++
		}
	}
	// Costs count every paid call, including those of skipped items: the
	// money was spent either way.
	per := make([]ModelSummary, len(r.sides))
	for i, sd := range r.sides {
		per[i].Model = sd.model
	}
	for _, st := range states {
		s.addPairCosts(&st)
		for i := range st.ans {
			ms := &per[i]
			if a := st.ans[i]; a != nil {
				ms.CostUSD += a.Result.Cost
				ms.TokenTotals.add(a.Result)
			}
			if g := st.grade[i]; g != nil {
				s.Judge.CostUSD += g.Result.Cost
				s.Judge.TokenTotals.add(g.Result)
				s.Judge.Methods[g.Result.Method]++
				if st.err == nil {
					ms.count(g.Result.Grade)
				}
			}
		}
	}
	for i := range per {
		per[i].finish()
		s.TotalCost += per[i].CostUSD
	}
	s.TotalCost += s.Judge.CostUSD
	s.Cheap, s.Strong = per[r.cheap], per[r.strong]
	if r.multi() {
		s.Models = per
	}
	return s
}

func (m *ModelSummary) count(g string) {
	switch g {
	case grade.Correct:
		m.Correct++
	case grade.Incorrect:
		m.Incorrect++
	default:
		m.NotAttempted++
	}
}

func (m *ModelSummary) finish() {
	if n := m.Correct + m.Incorrect + m.NotAttempted; n > 0 {
		m.Accuracy = float64(m.Correct) / float64(n)
	}
}

func writeOutputs(dir string, rows []Row, sum *Summary) error {
	if err := jsonl.WriteAtomic(filepath.Join(dir, DatasetFile), rows); err != nil {
		return fmt.Errorf("write oracle dataset: %w", err)
	}
	err := atomicfile.Write(filepath.Join(dir, SummaryFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(sum)
	})
	if err != nil {
		return fmt.Errorf("write oracle summary: %w", err)
	}
	return nil
}
