package oracle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/policy"
)

func mustRun(t *testing.T, cfg Config) *Summary {
	t.Helper()
	s, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRunLabelsEveryQuestion(t *testing.T) {
	up := newFakeUpstream()
	up.answer = routeFake
	dir := t.TempDir()
	items := testItems(42)
	sum := mustRun(t, baseConfig(t, up, items, dir))

	rows, err := jsonl.Read[Row](filepath.Join(dir, DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(items) || sum.Rows != len(items) {
		t.Fatalf("rows = %d, summary rows = %d, want %d", len(rows), sum.Rows, len(items))
	}
	for i, row := range rows {
		if row.ID != items[i].ID {
			t.Fatalf("row %d id = %s, want input order (%s)", i, row.ID, items[i].ID)
		}
		want := struct{ cheap, strong string }{grade.Correct, grade.Correct}
		switch {
		case i%7 == 0:
			want.cheap = grade.NotAttempted
		case i%3 == 0:
			want.cheap = grade.Incorrect
		}
		if i%5 == 0 {
			want.strong = grade.Incorrect
		}
		if row.Cheap.Grade != want.cheap || row.Strong.Grade != want.strong {
			t.Fatalf("%s: grades %s/%s, want %s/%s", row.ID, row.Cheap.Grade, row.Strong.Grade, want.cheap, want.strong)
		}
		d, _ := DefaultMatrix().Decide(want.cheap, want.strong)
		if row.Policy != d.Policy || row.Cell != grade.Cell(want.cheap, want.strong) {
			t.Fatalf("%s: cell %s policy %s, want %s", row.ID, row.Cell, row.Policy, d.Policy)
		}
		if row.Cheap.Model != "cheap-m" || row.Strong.Model != "strong-m" || row.Cheap.GradeMethod != judge.MethodLLM {
			t.Fatalf("%s: models/method wrong: %+v", row.ID, row)
		}
		if row.Characteristics.Words == 0 || row.Cheap.Cost <= 0 || row.Strong.JudgeCost <= 0 {
			t.Fatalf("%s: missing characteristics or costs: %+v", row.ID, row)
		}
	}
	// Each question: 2 answers + 2 grades, each exactly once.
	if up.total != 4*len(items) {
		t.Fatalf("upstream calls = %d, want %d", up.total, 4*len(items))
	}
	for k, n := range up.snapshot() {
		if n != 1 {
			t.Fatalf("call %q made %d times", k, n)
		}
	}
	if up.maxInflight > 4 {
		t.Fatalf("max in flight = %d, concurrency 4", up.maxInflight)
	}
	total := 0
	for _, n := range sum.Cells {
		total += n
	}
	if total != len(items) || len(sum.Cells) != 9 || sum.Policies[policy.Standard] == 0 || sum.Policies[policy.Complex] == 0 || sum.Policies[policy.Ambiguous] == 0 {
		t.Fatalf("cells/policies = %v / %v", sum.Cells, sum.Policies)
	}
	if sum.CallsMade != 4*len(items) || sum.CallsResumed != 0 || sum.TotalCost <= 0 ||
		sum.TotalCost != sum.Cheap.CostUSD+sum.Strong.CostUSD+sum.Judge.CostUSD {
		t.Fatalf("summary = %+v", sum)
	}
	if sum.Cheap.Correct+sum.Cheap.Incorrect+sum.Cheap.NotAttempted != len(items) || sum.Cheap.Accuracy >= sum.Strong.Accuracy {
		t.Fatalf("accuracy: cheap %+v strong %+v", sum.Cheap, sum.Strong)
	}
	if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err != nil {
		t.Fatal(err)
	}
}

func TestRunRuleJudgeMakesNoGradeCalls(t *testing.T) {
	up := newFakeUpstream()
	dir := t.TempDir()
	cfg := baseConfig(t, up, testItems(20), dir)
	cfg.Judge, cfg.JudgeName = judge.Rule(nil), "rule"
	sum := mustRun(t, cfg)
	if up.total != 40 || sum.Judge.CostUSD != 0 || sum.Judge.Methods[judge.MethodNumeric] != 40 {
		t.Fatalf("calls = %d, judge = %+v", up.total, sum.Judge)
	}
	// Rule grades are not journaled: only the 40 paid answers are.
	if lines := bytes.Count(readFile(t, filepath.Join(dir, JournalFile)), []byte("\n")); lines != 40 {
		t.Fatalf("journal lines = %d, want 40", lines)
	}
}

// uninterrupted runs items once in a fresh dir and returns the dataset bytes.
func uninterrupted(t *testing.T, items []dataset.Item) []byte {
	t.Helper()
	up := newFakeUpstream()
	up.answer = routeFake
	dir := t.TempDir()
	mustRun(t, baseConfig(t, up, items, dir))
	return readFile(t, filepath.Join(dir, DatasetFile))
}

func TestResumeAfterCancelNeverRepeatsACall(t *testing.T) {
	items := testItems(60)
	want := uninterrupted(t, items)
	dir := t.TempDir()

	first := newFakeUpstream()
	first.answer = routeFake
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first.onCall = func(n int) {
		if n == 70 {
			cancel()
		}
	}
	_, err := Run(ctx, baseConfig(t, first, items, dir))
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("first run err = %v, want ErrInterrupted", err)
	}
	if _, err := os.Stat(filepath.Join(dir, DatasetFile)); !os.IsNotExist(err) {
		t.Fatalf("an interrupted run must not write the dataset (stat err %v)", err)
	}
	if first.total < 70 || first.total >= 4*len(items) {
		t.Fatalf("first run made %d calls", first.total)
	}

	second := newFakeUpstream()
	second.answer = routeFake
	sum := mustRun(t, baseConfig(t, second, items, dir))
	assertNoRepeats(t, first.snapshot(), second.snapshot(), "")
	if first.total+second.total != 4*len(items) {
		t.Fatalf("calls %d + %d, want %d in all", first.total, second.total, 4*len(items))
	}
	if sum.CallsResumed != first.total || sum.CallsMade != second.total {
		t.Fatalf("summary resumed %d made %d; upstream saw %d then %d", sum.CallsResumed, sum.CallsMade, first.total, second.total)
	}
	if got := readFile(t, filepath.Join(dir, DatasetFile)); !bytes.Equal(got, want) {
		t.Fatalf("resumed dataset differs from an uninterrupted run")
	}
}

// assertNoRepeats fails if any call was made more than once across runs,
// except the one key allowed (a call whose journal line was lost).
func assertNoRepeats(t *testing.T, a, b map[string]int, allowed string) {
	t.Helper()
	for k, n := range a {
		if n != 1 {
			t.Fatalf("first run made %q %d times", k, n)
		}
		if b[k] > 0 && k != allowed {
			t.Fatalf("call %q paid again after resume", k)
		}
	}
	for k, n := range b {
		if n != 1 {
			t.Fatalf("second run made %q %d times", k, n)
		}
	}
}

func TestResumeAfterTruncatedJournalLine(t *testing.T) {
	items := testItems(30)
	want := uninterrupted(t, items)
	dir := t.TempDir()

	first := newFakeUpstream()
	first.answer = routeFake
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first.onCall = func(n int) {
		if n == 50 {
			cancel()
		}
	}
	if _, err := Run(ctx, baseConfig(t, first, items, dir)); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	// Simulate kill -9 mid-write: cut the last line in half.
	jpath := filepath.Join(dir, JournalFile)
	data := readFile(t, jpath)
	lines := bytes.SplitAfter(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	last := lines[len(lines)-1]
	var lost CallRecord
	if err := json.Unmarshal(last, &lost); err != nil {
		t.Fatal(err)
	}
	before, err := loadJournal(jpath, nil)
	if err != nil {
		t.Fatal(err)
	}
	cut := len(data) - 1 - len(last)/2
	if err := os.WriteFile(jpath, data[:cut], 0o644); err != nil {
		t.Fatal(err)
	}

	second := newFakeUpstream()
	second.answer = routeFake
	mustRun(t, baseConfig(t, second, items, dir))
	allowed := lostKey(items, lost, before, second.snapshot())
	if allowed == "" || second.snapshot()[allowed] != 1 {
		t.Fatalf("the call whose journal line was cut (%q) should be redone once", allowed)
	}
	assertNoRepeats(t, first.snapshot(), second.snapshot(), allowed)
	if got := readFile(t, filepath.Join(dir, DatasetFile)); !bytes.Equal(got, want) {
		t.Fatal("resumed dataset differs from an uninterrupted run")
	}
	// The journal is valid JSONL again: every line parses.
	if _, err := jsonl.Read[CallRecord](jpath); err != nil {
		t.Fatalf("journal after resume: %v", err)
	}
}

// lostKey is the fake's key for the call a journal record stands for. A
// grade's prompt is the judge rubric around the problem and the answer.
func lostKey(items []dataset.Item, rec CallRecord, journal map[callKey]CallRecord, seen map[string]int) string {
	for _, it := range items {
		if it.ID != rec.ID {
			continue
		}
		if rec.Kind == KindAnswer {
			return rec.Model + "\x00" + it.Problem
		}
		ans := journal[callKey{rec.ID, KindAnswer, rec.Side, rec.Conv}].Result.Text
		for k := range seen {
			if strings.HasPrefix(k, "judge-m\x00") && strings.Contains(k, "\n"+it.Problem+"\n") &&
				strings.Contains(k, "Answer to grade:\n"+ans+"\n\n") {
				return k
			}
		}
	}
	return ""
}

func TestFatalErrorPersistsThenResumes(t *testing.T) {
	items := testItems(40)
	dir := t.TempDir()
	var mu sync.Mutex
	failing := true
	first := newFakeUpstream()
	first.answer = func(model, prompt string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if failing && model == "strong-m" && strings.HasPrefix(prompt, "What is 20 plus") {
			return "", &apierr.Error{Code: apierr.Unauthorized, Msg: "upstream said 401: check the API key", UpstreamStatus: 401}
		}
		return routeFake(model, prompt)
	}
	_, err := Run(context.Background(), baseConfig(t, first, items, dir))
	if err == nil || !strings.Contains(err.Error(), "item q-020: strong answer") || !strings.Contains(err.Error(), "rerun to resume") {
		t.Fatalf("err = %v", err)
	}
	journaled, err := loadJournal(filepath.Join(dir, JournalFile), nil)
	if err != nil || len(journaled) == 0 {
		t.Fatalf("journal after failure: %d records, %v", len(journaled), err)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	second := newFakeUpstream()
	second.answer = routeFake
	mustRun(t, baseConfig(t, second, items, dir))
	for k := range second.snapshot() {
		if first.snapshot()[k] > 0 && !strings.Contains(k, "What is 20 plus") {
			t.Fatalf("call %q repeated after resume", k)
		}
	}
	if got, want := readFile(t, filepath.Join(dir, DatasetFile)), uninterrupted(t, items); !bytes.Equal(got, want) {
		t.Fatal("dataset after failure+resume differs")
	}
}

func TestSkipErrorsRecordsAndContinues(t *testing.T) {
	items := testItems(12)
	up := newFakeUpstream()
	up.answer = func(model, prompt string) (string, error) {
		if model == "cheap-m" && strings.HasPrefix(prompt, "What is 4 plus") {
			return "", &apierr.Error{Code: apierr.UpstreamRejected, Msg: "prompt blocked", UpstreamStatus: 400}
		}
		return routeFake(model, prompt)
	}
	dir := t.TempDir()
	cfg := baseConfig(t, up, items, dir)
	if _, err := Run(context.Background(), cfg); err == nil {
		t.Fatal("without SkipErrors a failed call must fail the run")
	}
	cfg.SkipErrors = true
	sum := mustRun(t, cfg)
	if sum.Rows != 11 || len(sum.Skipped) != 1 || sum.Skipped[0].ID != "q-004" || sum.Skipped[0].Kind != KindAnswer {
		t.Fatalf("rows %d skipped %+v", sum.Rows, sum.Skipped)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	up := newFakeUpstream()
	dup := testItems(3)
	dup[2].ID = dup[0].ID
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no items", func(c *Config) { c.Items = nil }, "no items"},
		{"duplicate ids", func(c *Config) { c.Items = dup }, `duplicate id "q-000" (items 1 and 3)`},
		{"unknown model", func(c *Config) { c.Strong = "unknown-x" }, `strong model: unknown model "unknown-x"`},
		{"no judge", func(c *Config) { c.Judge = nil }, "judge is required"},
		{"negative rps", func(c *Config) { c.RPS = -1 }, "must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t, up, testItems(3), t.TempDir())
			tc.mod(&cfg)
			_, err := Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestJournalFromOtherModelsIsRefused(t *testing.T) {
	up := newFakeUpstream()
	up.answer = routeFake
	dir := t.TempDir()
	mustRun(t, baseConfig(t, up, testItems(3), dir))
	cfg := baseConfig(t, up, testItems(3), dir)
	cfg.Cheap = "other-cheap"
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), `from "cheap-m", but this run uses "other-cheap"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestCorruptJournalLineNamesFileAndLine(t *testing.T) {
	up := newFakeUpstream()
	up.answer = routeFake
	dir := t.TempDir()
	jpath := filepath.Join(dir, JournalFile)
	if err := os.WriteFile(jpath, []byte("{\"id\":\"q-000\",\"kind\":\"answer\",\"side\":\"cheap\",\"model\":\"cheap-m\",\"result\":{}}\nnot json\n{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), baseConfig(t, up, testItems(3), dir))
	if err == nil || !strings.Contains(err.Error(), JournalFile+":2: corrupt journal line") {
		t.Fatalf("err = %v", err)
	}
	if up.total != 0 {
		t.Fatalf("made %d calls before refusing", up.total)
	}
}

func TestRPSLimitsCallRate(t *testing.T) {
	up := newFakeUpstream()
	dir := t.TempDir()
	cfg := baseConfig(t, up, testItems(3), dir)
	cfg.Judge, cfg.JudgeName = judge.Rule(nil), "rule"
	cfg.RPS = 1000
	mustRun(t, cfg)
	if up.total != 6 {
		t.Fatalf("calls = %d", up.total)
	}
}
