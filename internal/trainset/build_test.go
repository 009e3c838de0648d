package trainset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/golden"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

func TestWriteMatchesGolden(t *testing.T) {
	rows, err := oracle.ReadDataset(filepath.Join("testdata", "oracle_small.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := Write(dir, rows, oracle.DefaultMatrix())
	if err != nil {
		t.Fatal(err)
	}
	// 9 cells: 3 Standard and 2 Complex cells declare a preference.
	if st.SFT != 9 || st.Pairs != 5 || st.Policies[policy.Standard] != 3 || st.Policies[policy.Complex] != 2 || st.Policies[policy.Ambiguous] != 4 {
		t.Fatalf("stats = %+v", st)
	}
	for _, name := range []string{SFTFile, DPOFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", strings.TrimSuffix(name, ".jsonl")+".golden.jsonl"), got)
	}
}

func TestBuildRowsRoundTripPrompt(t *testing.T) {
	rows := []oracle.Row{{ID: "x", Query: "What is\n2+2?", Cell: "INCORRECT/CORRECT", Policy: policy.Complex}}
	sft, dpo := Build(rows, oracle.DefaultMatrix())
	if len(sft) != 1 || len(dpo) != 1 {
		t.Fatalf("sft %d dpo %d", len(sft), len(dpo))
	}
	q, err := trl.QueryFromPrompt(sft[0].Prompt)
	if err != nil || q != rows[0].Query {
		t.Fatalf("QueryFromPrompt = %q, %v", q, err)
	}
	if sft[0].Completion != " Complex_Query" || dpo[0].Chosen != " Complex_Query" || dpo[0].Rejected != " Standard_Query" {
		t.Fatalf("sft %+v dpo %+v", sft[0], dpo[0])
	}
}

func TestReadDatasetErrors(t *testing.T) {
	good := `{"id":"a","query":"q","cell":"CORRECT/CORRECT","policy":"Standard_Query"}`
	tests := []struct{ name, content, want string }{
		{"empty", "", "o.jsonl: file is empty"},
		{"bad json", good + "\n{nope\n", "o.jsonl:2: invalid JSON"},
		{"unknown policy", strings.Replace(good, "Standard_Query", "Cheap_Query", 1), `o.jsonl:1: row "a": unknown policy "Cheap_Query"`},
		{"bad cell", strings.Replace(good, "CORRECT/CORRECT", "RIGHT", 1), `o.jsonl:1: row "a": cell "RIGHT"`},
		{"missing id", `{"query":"q","cell":"CORRECT/CORRECT","policy":"Standard_Query"}`, "o.jsonl:1: missing id"},
		{"duplicate id", good + "\n\n" + good, `o.jsonl:3: duplicate id "a" (first on line 1)`},
		{"wrong type", `{"id":3}`, "o.jsonl:1: invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "o.jsonl")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := oracle.ReadDataset(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// A replayed outcome ("(recorded outcome) CORRECT") carries the grade: it
// must never reach the SFT rows as an answer a verifier could learn from.
func TestBuildKeepsOnlyRealCheapAnswers(t *testing.T) {
	rows := []oracle.Row{
		{ID: "a", Query: "q1", Cell: "CORRECT/CORRECT", Policy: policy.Standard, Cheap: oracle.ModelResult{Answer: "12 + 5 = 17\n#### 17"}},
		{ID: "b", Query: "q2", Cell: "INCORRECT/CORRECT", Policy: policy.Complex, Cheap: oracle.ModelResult{Answer: "(recorded outcome) INCORRECT"}},
		{ID: "c", Query: "q3", Cell: "CORRECT/CORRECT", Policy: policy.Standard, Cheap: oracle.ModelResult{Answer: "  \n"}},
	}
	m, err := oracle.LoadMatrix("")
	if err != nil {
		t.Fatal(err)
	}
	sft, _ := Build(rows, m)
	for i, want := range []string{"12 + 5 = 17\n#### 17", "", ""} {
		if sft[i].CheapAnswer != want {
			t.Errorf("row %s: cheap_answer %q, want %q", sft[i].ID, sft[i].CheapAnswer, want)
		}
	}
}
