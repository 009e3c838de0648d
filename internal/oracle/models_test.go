package oracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
)

// threeFake adds mid-m to routeFake: right unless i%2 == 0, phrased its own
// way so its grading prompts differ from the other models'.
func threeFake(model, prompt string) (string, error) {
	if model != "mid-m" {
		return routeFake(model, prompt)
	}
	var a, b int
	if _, err := fmt.Sscanf(prompt, "What is %d plus %d?", &a, &b); err != nil {
		return "", fmt.Errorf("fake: unexpected prompt %q", prompt)
	}
	sum := a + b
	if a%2 == 0 {
		sum += 2
	}
	return fmt.Sprintf("Sum: %d\n#### %d", sum, sum), nil
}

func threeConfig(t *testing.T, up *fakeUpstream, n int, dir string) Config {
	cfg := baseConfig(t, up, testItems(n), dir)
	cfg.Models = []string{"cheap-m", "mid-m", "strong-m"}
	return cfg
}

func TestRunThreeModelsListsEveryResult(t *testing.T) {
	up := newFakeUpstream()
	up.answer = threeFake
	dir := t.TempDir()
	sum := mustRun(t, threeConfig(t, up, 30, dir))
	rows, err := ReadDataset(filepath.Join(dir, DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		res := row.ModelResults()
		if len(res) != 3 || res[0].Model != "cheap-m" || res[1].Model != "mid-m" || res[2].Model != "strong-m" {
			t.Fatalf("%s: results %+v, want cheap-m, mid-m, strong-m", row.ID, res)
		}
		if res[0] != row.Cheap || res[2] != row.Strong {
			t.Fatalf("%s: cheap/strong differ from their results entries", row.ID)
		}
		want := grade.Correct
		if i%2 == 0 {
			want = grade.Incorrect
		}
		if res[1].Grade != want || res[1].Cost <= 0 || res[1].InputTokens == 0 {
			t.Fatalf("%s: mid-m %+v, want grade %s and a cost", row.ID, res[1], want)
		}
		if row.Cell != grade.Cell(row.Cheap.Grade, row.Strong.Grade) {
			t.Fatalf("%s: cell %s is not the cheap/strong pair's", row.ID, row.Cell)
		}
	}
	if up.total != 6*30 || sum.CallsMade != 6*30 {
		t.Fatalf("calls %d (summary %d), want 3 answers and 3 grades per question", up.total, sum.CallsMade)
	}
	if len(sum.Models) != 3 || sum.Models[1].Model != "mid-m" || sum.Models[1].Correct != 15 {
		t.Fatalf("summary models = %+v", sum.Models)
	}
	total := sum.Judge.CostUSD
	for _, m := range sum.Models {
		total += m.CostUSD
	}
	if sum.TotalCost != total || sum.Cheap != sum.Models[0] || sum.Strong != sum.Models[2] {
		t.Fatalf("summary totals: %+v", sum)
	}
}

// A two-model run's journal resumes into a three-model run: only the new
// model's calls are paid for.
func TestRunAddsAModelToATwoModelJournal(t *testing.T) {
	dir := t.TempDir()
	first := newFakeUpstream()
	first.answer = threeFake
	mustRun(t, baseConfig(t, first, testItems(20), dir))
	second := newFakeUpstream()
	second.answer = threeFake
	sum := mustRun(t, threeConfig(t, second, 20, dir))
	assertNoRepeats(t, first.snapshot(), second.snapshot(), "")
	if second.total != 2*20 || sum.CallsResumed != 4*20 {
		t.Fatalf("second run made %d calls and resumed %d; want only mid-m's 40", second.total, sum.CallsResumed)
	}
	for k := range second.snapshot() {
		if !strings.HasPrefix(k, "mid-m\x00") && !strings.Contains(k, "Sum: ") {
			t.Fatalf("second run paid for %q, not a mid-m call", k)
		}
	}
	// And back: the two-model dataset is what it was, mid-m's calls unused.
	third := newFakeUpstream()
	third.answer = threeFake
	before := readFile(t, filepath.Join(dir, DatasetFile))
	mustRun(t, baseConfig(t, third, testItems(20), dir))
	if third.total != 0 {
		t.Fatalf("two-model rerun made %d calls", third.total)
	}
	if after := readFile(t, filepath.Join(dir, DatasetFile)); bytes.Equal(after, before) {
		t.Fatalf("two-model rerun kept the three-model rows")
	}
}

func TestResumeThreeModelsNeverRepeatsACall(t *testing.T) {
	ref := newFakeUpstream()
	ref.answer = threeFake
	refDir := t.TempDir()
	mustRun(t, threeConfig(t, ref, 40, refDir))
	want := readFile(t, filepath.Join(refDir, DatasetFile))

	dir := t.TempDir()
	first := newFakeUpstream()
	first.answer = threeFake
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first.onCall = func(n int) {
		if n == 90 {
			cancel()
		}
	}
	if _, err := Run(ctx, threeConfig(t, first, 40, dir)); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("first run err = %v, want ErrInterrupted", err)
	}
	second := newFakeUpstream()
	second.answer = threeFake
	sum := mustRun(t, threeConfig(t, second, 40, dir))
	assertNoRepeats(t, first.snapshot(), second.snapshot(), "")
	if first.total+second.total != 6*40 || sum.CallsResumed != first.total {
		t.Fatalf("calls %d + %d (resumed %d), want %d in all", first.total, second.total, sum.CallsResumed, 6*40)
	}
	if got := readFile(t, filepath.Join(dir, DatasetFile)); !bytes.Equal(got, want) {
		t.Fatalf("resumed three-model dataset differs from an uninterrupted run")
	}
}

func TestRunRejectsBadModelLists(t *testing.T) {
	up := newFakeUpstream()
	for _, tc := range []struct {
		name   string
		models []string
		want   string
	}{
		{"pair missing", []string{"cheap-m", "mid-m"}, `do not include "strong-m"`},
		{"twice", []string{"cheap-m", "strong-m", "cheap-m"}, `"cheap-m" is listed twice`},
		{"empty", []string{"cheap-m", "", "strong-m"}, "model 2 of the list is empty"},
		{"unknown", []string{"cheap-m", "strong-m", "unknown-m"}, `unknown model "unknown-m"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t, up, testItems(2), t.TempDir())
			cfg.Models = tc.models
			if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestReadDatasetTwoAndThreeModelRows(t *testing.T) {
	two := `{"id":"a","query":"q","gold":"1","cheap":{"model":"c","answer":"1","grade":"CORRECT"},"strong":{"model":"s","answer":"2","grade":"INCORRECT"},"cell":"CORRECT/INCORRECT","policy":"Standard_Query"}`
	three := `{"id":"b","query":"q","gold":"1","cheap":{"model":"c","grade":"CORRECT"},"strong":{"model":"s","grade":"CORRECT"},"results":[{"model":"c","grade":"CORRECT"},{"model":"m","grade":"INCORRECT"},{"model":"s","grade":"CORRECT"}],"cell":"CORRECT/CORRECT","policy":"Standard_Query"}`
	bad := `{"id":"c","query":"q","cheap":{"model":"c","grade":"CORRECT"},"strong":{"model":"s","grade":"CORRECT"},"results":[{"model":"c","grade":"MAYBE"}],"cell":"CORRECT/CORRECT","policy":"Standard_Query"}`
	dir := t.TempDir()
	path := filepath.Join(dir, "rows.jsonl")
	if err := os.WriteFile(path, []byte(two+"\n"+three+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadDataset(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0].ModelResults(); len(got) != 2 || got[1].Model != "s" {
		t.Errorf("two-model row results = %+v", got)
	}
	if m, ok := rows[1].Result("m"); !ok || m.Grade != grade.Incorrect {
		t.Errorf("three-model row: m = %+v, %v", m, ok)
	}
	if names := ModelNames(rows); strings.Join(names, ",") != "c,m,s" {
		t.Errorf("ModelNames = %v", names)
	}
	if err := os.WriteFile(path, []byte(bad+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDataset(path); err == nil || !strings.Contains(err.Error(), `rows.jsonl:1: row "c": results[0] (c): unknown grade "MAYBE"`) {
		t.Errorf("err = %v", err)
	}
}
