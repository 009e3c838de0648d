package oracle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// The answering models write neutral texts, so the judge can only tell the
// answers apart by content: "x-answer N" (flash, the cheap model) and
// "y-answer N" (pro, the strong one).
func pairQuestion(n int) string { return fmt.Sprintf("Question number %d: explain something.", n) }

var pairPromptRE = regexp.MustCompile(`(?s)^You compare two answers.*Question:\n(.*)\n\nAnswer A:\n(.*)\n\nAnswer B:\n(.*)\n\nReply with a single letter`)

// pairAnswer plays flash, pro and the pairwise judge. The judge's reply is
// scripted per question number n and per order (which answer it sees
// first):
//
//	n%5 == 0: prefers the y answer in both orders     → strong_better
//	n%5 == 1: both good in both orders                → tie
//	n%5 == 2: always picks the first answer (biased)  → tie
//	n%5 == 3: "both poor" with x first, y otherwise   → both_poor
//	n%5 == 4: prefers the x answer in both orders     → cheap_better
func pairAnswer(req *fake.Request) fake.Reply {
	msg := req.LastUser()
	if m := pairPromptRE.FindStringSubmatch(msg); m != nil {
		var n int
		fmt.Sscanf(m[1], "Question number %d:", &n)
		xFirst := strings.HasPrefix(m[2], "x-answer")
		letterFor := func(prefix string) string {
			if strings.HasPrefix(m[2], prefix) {
				return "A"
			}
			return "B"
		}
		switch n % 5 {
		case 0:
			return fake.Reply{Text: letterFor("y-answer")}
		case 1:
			return fake.Reply{Text: "C"}
		case 2:
			return fake.Reply{Text: "A"}
		case 3:
			if xFirst {
				return fake.Reply{Text: "D"}
			}
			return fake.Reply{Text: letterFor("y-answer")}
		default:
			return fake.Reply{Text: "Verdict: " + letterFor("x-answer")}
		}
	}
	if strings.Contains(msg, "Gold target:\n") {
		// Reference judge: the cheap answer matches the reference on even
		// questions.
		var n int
		fmt.Sscanf(msg[strings.Index(msg, "Question:\n")+len("Question:\n"):], "Question number %d:", &n)
		if n%2 == 0 {
			return fake.Reply{Text: "A"}
		}
		return fake.Reply{Text: "B"}
	}
	var n int
	fmt.Sscanf(msg, "Question number %d:", &n)
	if req.Model == "gemini-2.5-flash" {
		return fake.Reply{Text: fmt.Sprintf("x-answer %d", n)}
	}
	return fake.Reply{Text: fmt.Sprintf("y-answer %d, at some length", n), ThinkingTokens: 4}
}

func capturedItems(n int) []dataset.Item {
	items := make([]dataset.Item, n)
	for i := range items {
		items[i] = dataset.Item{ID: fmt.Sprintf("req-%02d", i), Problem: pairQuestion(i), Benchmark: dataset.BenchmarkCaptured}
	}
	return items
}

func pairwiseConfig(t *testing.T, reg *registry.Registry, items []dataset.Item, dir string) Config {
	t.Helper()
	p, m, err := reg.Get("pro")
	if err != nil {
		t.Fatal(err)
	}
	return Config{Items: items, Cheap: "flash", Strong: "pro", Label: LabelPairwise, Pairwise: judge.NewPairwise(p, m),
		JudgeName: "pairwise:pro", Providers: reg, OutputDir: dir, Concurrency: 8}
}

var wantPairwise = map[int]struct{ outcome, cell, policy string }{
	0: {judge.OutcomeStrongBetter, "INCORRECT/CORRECT", policy.Complex},
	1: {judge.OutcomeTie, "CORRECT/CORRECT", policy.Standard},
	2: {judge.OutcomeTie, "CORRECT/CORRECT", policy.Standard},
	3: {judge.OutcomeBothPoor, "INCORRECT/INCORRECT", policy.Ambiguous},
	4: {judge.OutcomeCheapBetter, "CORRECT/INCORRECT", policy.Standard},
}

func TestPairwiseLabelsBlindBothOrders(t *testing.T) {
	srv := fake.New(t, fake.WithAnswer(pairAnswer))
	items := capturedItems(10)
	dir := t.TempDir()
	sum := mustRun(t, pairwiseConfig(t, realRegistry(t, srv), items, dir))

	// Each question: two answers and two judge calls, the answers swapped
	// between the judge calls, and no judge prompt naming any model.
	modelWords := regexp.MustCompile(`(?i)\b(flash|pro|grader|gemini[-\w.]*|gpt[-\w.]*|cheap|strong)\b`)
	orders := map[string][]string{}
	for _, c := range srv.Calls() {
		m := pairPromptRE.FindStringSubmatch(c.LastUser)
		if m == nil {
			continue
		}
		if w := modelWords.FindString(c.LastUser); w != "" {
			t.Fatalf("judge prompt names %q:\n%s", w, c.LastUser)
		}
		if c.Model != "gpt-4o" {
			t.Fatalf("judge call went to %q, want the strong model's upstream", c.Model)
		}
		orders[m[1]] = append(orders[m[1]], m[2][:8]+"|"+m[3][:8])
	}
	for i := range items {
		got := strings.Join(orders[pairQuestion(i)], ",")
		if got != "x-answer|y-answer,y-answer|x-answer" && got != "y-answer|x-answer,x-answer|y-answer" {
			t.Fatalf("question %d: judge orders %q, want both orders once", i, got)
		}
	}

	rows, err := ReadDataset(filepath.Join(dir, DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	var judgeCost float64
	for i, row := range rows {
		w := wantPairwise[i%5]
		pw := row.Pairwise
		if pw == nil || pw.Outcome != w.outcome || row.Cell != w.cell || row.Policy != w.policy {
			t.Fatalf("row %d: %+v cell %s policy %s, want %+v", i, pw, row.Cell, row.Policy, w)
		}
		if row.Cheap.GradeMethod != judge.MethodPairwise || row.Gold != "" || row.Benchmark != dataset.BenchmarkCaptured {
			t.Fatalf("row %d: %+v", i, row)
		}
		// The raw replies per order are kept for audit.
		if !judge.ValidPairVerdict(pw.CheapFirst.Verdict) || pw.CheapFirst.Raw == "" || pw.StrongFirst.Raw == "" || pw.Judge != "pairwise:pro" {
			t.Fatalf("row %d audit record %+v", i, pw)
		}
		if i%5 == 2 && (pw.CheapFirst.Verdict != judge.PairA || pw.StrongFirst.Verdict != judge.PairA) {
			t.Fatalf("row %d: the biased judge's verdicts were not recorded as given: %+v", i, pw)
		}
		if !(pw.CostUSD > 0) || pw.CostUSD != pw.CheapFirst.Cost+pw.StrongFirst.Cost {
			t.Fatalf("row %d judge cost %+v", i, pw)
		}
		judgeCost += pw.CostUSD
	}
	if sum.Matrix != "built-in matrix_pairwise.yaml" || sum.Label != LabelPairwise {
		t.Fatalf("matrix %q label %q", sum.Matrix, sum.Label)
	}
	if o := sum.PairwiseOutcomes; o[judge.OutcomeTie] != 4 || o[judge.OutcomeStrongBetter] != 2 || o[judge.OutcomeCheapBetter] != 2 || o[judge.OutcomeBothPoor] != 2 {
		t.Fatalf("outcomes %v", o)
	}
	if diff := sum.Judge.CostUSD - judgeCost; diff > 1e-12 || diff < -1e-12 || sum.Judge.Methods[KindCompare] != 20 {
		t.Fatalf("judge cost %v, rows say %v; methods %v", sum.Judge.CostUSD, judgeCost, sum.Judge.Methods)
	}
	if sum.CallsMade != 40 || srv.Stats().Served != 40 {
		t.Fatalf("calls made %d, served %d, want 40 (2 answers + 2 judge calls per question)", sum.CallsMade, srv.Stats().Served)
	}
}

func TestPairwiseResumesWithoutPayingTwice(t *testing.T) {
	srv := fake.New(t, fake.WithAnswer(pairAnswer))
	reg := realRegistry(t, srv)
	items := capturedItems(6)
	dir := t.TempDir()
	first := mustRun(t, pairwiseConfig(t, reg, items, dir))
	if first.CallsMade != 24 {
		t.Fatalf("first run made %d calls", first.CallsMade)
	}
	// Keep the first 10 journal lines, as if killed after them: the rerun
	// pays for exactly the other 14 calls.
	jpath := filepath.Join(dir, JournalFile)
	recs, err := jsonl.Read[CallRecord](jpath)
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonl.WriteAtomic(jpath, recs[:10]); err != nil {
		t.Fatal(err)
	}
	before := srv.Stats().Served
	again := mustRun(t, pairwiseConfig(t, reg, items, dir))
	if made := srv.Stats().Served - before; made != 14 || again.CallsMade != 14 || again.CallsResumed != 10 {
		t.Fatalf("resume paid %d calls (made %d, resumed %d), want 14 and 10", made, again.CallsMade, again.CallsResumed)
	}
	a, _ := os.ReadFile(filepath.Join(dir, DatasetFile))
	if !strings.Contains(string(a), `"outcome":"strong_better"`) {
		t.Fatalf("dataset after resume:\n%s", a)
	}

	// Another judge mode or judge model on the same journal is refused.
	p, m, err := reg.Get("pro")
	if err != nil {
		t.Fatal(err)
	}
	ref := pairwiseConfig(t, reg, items, dir)
	ref.Label, ref.Pairwise, ref.Reference, ref.JudgeName = LabelReference, nil, judge.NewReference(judge.NewLLM(p, m)), "reference:pro"
	if _, err := Run(context.Background(), ref); err == nil || !strings.Contains(err.Error(), `pairwise judge calls from "pairwise:pro"`) {
		t.Fatalf("resume with the reference judge: %v", err)
	}
	gold := pairwiseConfig(t, reg, items, dir)
	gold.Label, gold.Pairwise, gold.Judge, gold.JudgeName = LabelGold, nil, judge.Rule(nil), "rule"
	if _, err := Run(context.Background(), gold); err == nil || !strings.Contains(err.Error(), "use another --output-dir") {
		t.Fatalf("resume with the gold judge: %v", err)
	}
}

func TestReferenceLabels(t *testing.T) {
	srv := fake.New(t, fake.WithAnswer(pairAnswer))
	reg := realRegistry(t, srv)
	items := capturedItems(4)
	dir := t.TempDir()
	p, m, err := reg.Get("pro")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Items: items, Cheap: "flash", Strong: "pro", Label: LabelReference, Reference: judge.NewReference(judge.NewLLM(p, m)),
		JudgeName: "reference:pro", Providers: reg, OutputDir: dir}
	sum := mustRun(t, cfg)
	rows, err := ReadDataset(filepath.Join(dir, DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		want := map[bool]string{true: "CORRECT/CORRECT", false: "INCORRECT/CORRECT"}[i%2 == 0]
		if row.Cell != want || row.Strong.GradeMethod != judge.MethodReference || row.Strong.JudgeCost != 0 || !(row.Cheap.JudgeCost > 0) {
			t.Fatalf("row %d: cell %s, strong %+v, cheap %+v", i, row.Cell, row.Strong, row.Cheap)
		}
	}
	// One judge call per question, the strong answer in the gold's place.
	var judged int
	for _, c := range srv.Calls() {
		if strings.Contains(c.LastUser, "Gold target:\n") {
			judged++
			if !strings.Contains(c.LastUser, "Gold target:\ny-answer") || !strings.Contains(c.LastUser, "Answer to grade:\nx-answer") {
				t.Fatalf("reference prompt:\n%s", c.LastUser)
			}
		}
	}
	if judged != 4 || sum.CallsMade != 12 || sum.Matrix != "built-in matrix.yaml" {
		t.Fatalf("judge calls %d, calls made %d, matrix %s", judged, sum.CallsMade, sum.Matrix)
	}
}

// A --matrix file replaces the pairwise default like the gold one.
func TestPairwiseMatrixOverride(t *testing.T) {
	srv := fake.New(t, fake.WithAnswer(pairAnswer))
	items := capturedItems(5)
	dir := t.TempDir()
	custom := strings.Replace(string(PairwiseMatrixYAML()),
		"{cheap: CORRECT, strong: CORRECT, policy: Standard_Query, prefer: {chosen: Standard_Query, rejected: Complex_Query}}",
		"{cheap: CORRECT, strong: CORRECT, policy: Ambiguous_Query}", 1)
	m, err := ParseMatrix([]byte(custom), "mine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := pairwiseConfig(t, realRegistry(t, srv), items, dir)
	cfg.Matrix = m
	sum := mustRun(t, cfg)
	if sum.Matrix != "mine.yaml" || sum.Policies[policy.Ambiguous] != 3 || sum.Policies[policy.Standard] != 1 {
		t.Fatalf("matrix %s policies %v", sum.Matrix, sum.Policies)
	}
}

// The two built-in matrices agree on every cell a pairwise label can
// produce, so prepare may read mixed benchmark and captured rows with
// either; the pairwise file is a valid matrix of its own.
func TestPairwiseMatrixFile(t *testing.T) {
	pw, def := PairwiseMatrix(), DefaultMatrix()
	for _, o := range []string{judge.OutcomeTie, judge.OutcomeStrongBetter, judge.OutcomeCheapBetter, judge.OutcomeBothPoor} {
		c, s, err := judge.OutcomeGrades(o)
		if err != nil {
			t.Fatal(err)
		}
		a, err1 := pw.Decide(c, s)
		b, err2 := def.Decide(c, s)
		if err1 != nil || err2 != nil || a.Policy != b.Policy || fmt.Sprint(a.Prefer) != fmt.Sprint(b.Prefer) {
			t.Errorf("%s (%s/%s): pairwise %+v, default %+v", o, c, s, a, b)
		}
	}
	if d, _ := pw.Decide(grade.Correct, grade.Correct); d.Policy != policy.Standard || d.Prefer == nil {
		t.Errorf("tie: %+v", d)
	}
	if DefaultMatrixFor(LabelReference).Source != DefaultMatrix().Source || DefaultMatrixFor(LabelPairwise).Source != pw.Source {
		t.Error("DefaultMatrixFor picks the wrong file")
	}
}

func TestNoGoldConfigErrors(t *testing.T) {
	srv := fake.New(t, fake.WithAnswer(pairAnswer))
	reg := realRegistry(t, srv)
	cfg := pairwiseConfig(t, reg, capturedItems(2), t.TempDir())
	three := cfg
	three.Models = []string{"flash", "grader", "pro"}
	nojudge := cfg
	nojudge.Pairwise = nil
	unknown := cfg
	unknown.Label = "vibes"
	for name, c := range map[string]Config{"three models": three, "no judge": nojudge, "unknown": unknown} {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(srv.Calls()) != 0 {
		t.Fatal("a refused config made calls")
	}
}

func TestPairwiseSkipErrors(t *testing.T) {
	// The judge rejects the prompt of question 3 in the strong-first order.
	script := func(_ int, req *fake.Request) fake.Fault {
		if m := pairPromptRE.FindStringSubmatch(req.LastUser()); m != nil && m[1] == pairQuestion(3) && strings.HasPrefix(m[2], "y-answer") {
			return fake.HTTPStatus(400)
		}
		return fake.Fault{}
	}
	srv := fake.New(t, fake.WithAnswer(pairAnswer), fake.WithScript(script))
	cfg := pairwiseConfig(t, realRegistry(t, srv), capturedItems(5), t.TempDir())
	cfg.SkipErrors = true
	sum := mustRun(t, cfg)
	if sum.Rows != 4 || len(sum.Skipped) != 1 || sum.Skipped[0].ID != "req-03" || sum.Skipped[0].Side != SideStrongFirst || sum.Skipped[0].Kind != KindCompare {
		t.Fatalf("rows %d skipped %+v", sum.Rows, sum.Skipped)
	}
	// The skipped question's paid cheap-first call is still counted.
	if sum.Judge.Methods[KindCompare] != 9 {
		t.Fatalf("compare calls counted %d, want 9", sum.Judge.Methods[KindCompare])
	}
}

// capturedItemsLike strips gold answers, as captured traffic has none.
func capturedItemsLike(items []dataset.Item) []dataset.Item {
	out := make([]dataset.Item, len(items))
	for i, it := range items {
		out[i] = dataset.Item{ID: it.ID, Problem: it.Problem, Benchmark: dataset.BenchmarkCaptured}
	}
	return out
}

// Recorded-outcome stand-ins carry the grade itself: judging them would
// leak the label, so the run stops with an error naming the item.
func TestPairwiseRefusesRecordedOutcomes(t *testing.T) {
	up := newFakeUpstream()
	up.answer = func(model, prompt string) (string, error) {
		if model == "judge-m" {
			return "C", nil
		}
		return grade.RecordedOutcome(model == "strong-m"), nil
	}
	cfg := baseConfig(t, up, capturedItemsLike(testItems(3)), t.TempDir())
	p, m, _ := fakeRegistry{up}.Get("judge-m")
	cfg.Label, cfg.Pairwise, cfg.JudgeName = LabelPairwise, judge.NewPairwise(p, m), "pairwise:judge-m"
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "is a recorded outcome") || up.count("judge-m", "") != 0 {
		t.Fatalf("err %v", err)
	}
	for k := range up.snapshot() {
		if strings.HasPrefix(k, "judge-m\x00") {
			t.Fatalf("the judge was asked: %q", k)
		}
	}
}
