package trainset

import (
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

func TestOutcomesListEveryModel(t *testing.T) {
	cheap := oracle.ModelResult{Model: "c", Answer: "4", Grade: grade.Correct, InputTokens: 10, OutputTokens: 2, ThinkingTokens: 3, Cost: 0.1}
	strong := oracle.ModelResult{Model: "s", Answer: grade.RecordedOutcome(true), Grade: grade.Correct, Cost: 0.5}
	mid := oracle.ModelResult{Model: "m", Answer: "5", Grade: grade.Incorrect, Cost: 0.2}
	rows := []oracle.Row{
		{ID: "two", Query: "q1", Topic: "t", Cheap: cheap, Strong: strong, Cell: "CORRECT/CORRECT", Policy: "Standard_Query"},
		{ID: "three", Query: "q2", Cheap: cheap, Strong: strong, Results: []oracle.ModelResult{cheap, mid, strong}, Cell: "CORRECT/CORRECT", Policy: "Standard_Query"},
	}
	tests := []struct {
		row    int
		models []string
	}{{0, []string{"c", "s"}}, {1, []string{"c", "m", "s"}}}
	out := Outcomes(rows)
	for _, tc := range tests {
		got := out[tc.row]
		if got.ID != rows[tc.row].ID || got.Query != rows[tc.row].Query || len(got.Results) != len(tc.models) {
			t.Fatalf("row %d: %+v", tc.row, got)
		}
		for k, m := range tc.models {
			if got.Results[k].Model != m {
				t.Errorf("row %d result %d: model %s, want %s", tc.row, k, got.Results[k].Model, m)
			}
		}
	}
	c := out[0].Results[0]
	if c.OutputTokens != 5 || c.InputTokens != 10 || c.CostUSD != 0.1 || c.Answer != "4" {
		t.Errorf("cheap outcome %+v: billed output is output + thinking, answer kept", c)
	}
	if out[0].Results[1].Answer != "" {
		t.Errorf("a recorded-outcome stand-in became an answer text: %+v", out[0].Results[1])
	}
	dir := t.TempDir()
	st, err := Write(dir, rows, oracle.DefaultMatrix())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Models) != 3 {
		t.Errorf("stats models = %v", st.Models)
	}
	back, err := jsonl.Read[trl.OutcomeRow](filepath.Join(dir, OutcomesFile))
	if err != nil || len(back) != 2 || len(back[1].Results) != 3 {
		t.Fatalf("read back %+v, %v", back, err)
	}
}
