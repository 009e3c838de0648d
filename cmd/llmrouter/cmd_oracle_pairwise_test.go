package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/oracle"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

var cliPairRE = regexp.MustCompile(`(?s)^You compare two answers.*Question:\n(.*)\n\nAnswer A:\n(.*)\n\nAnswer B:\n(.*)\n\nReply with a single letter`)

// trafficAnswer plays Gemini Flash, Gemini Pro and the pairwise judge on
// captured traffic. Flash writes "fast: ..." and Pro "deep: ..."; the judge
// reads only the question and the two answers. Quick facts are ties, proofs
// go to the deep answer in both orders, riddles are both poor, and on
// summaries the judge always picks the first answer it sees (a position
// bias the two orders cancel into a tie).
func trafficAnswer(req *fake.Request) fake.Reply {
	msg := req.LastUser()
	if m := cliPairRE.FindStringSubmatch(msg); m != nil {
		q, a := m[1], m[2]
		switch {
		case strings.HasPrefix(q, "Prove"):
			if strings.HasPrefix(a, "deep:") {
				return fake.Reply{Text: "A"}
			}
			return fake.Reply{Text: "B"}
		case strings.HasPrefix(q, "Riddle"):
			return fake.Reply{Text: "D"}
		case strings.HasPrefix(q, "Summarise"):
			return fake.Reply{Text: "A"}
		}
		return fake.Reply{Text: "C"}
	}
	if strings.Contains(msg, "Gold target:\n") {
		return fake.Reply{Text: "A"}
	}
	if req.Model == "gemini-2.5-pro" {
		return fake.Reply{Text: "deep: " + msg, ThinkingTokens: 5}
	}
	return fake.Reply{Text: "fast: " + msg}
}

// capturedQuestion is the n-th question of a synthetic team's traffic.
func capturedQuestion(n int) string {
	switch n % 4 {
	case 0:
		return fmt.Sprintf("What is the colour of item %d in the catalogue?", n)
	case 1:
		return fmt.Sprintf("Prove that the sum of the first %d odd numbers is a perfect square, deriving the bound step by step.", n)
	case 2:
		return fmt.Sprintf("Riddle %d: what walks on four legs at dawn?", n)
	}
	return fmt.Sprintf("Summarise report %d for the board in two lines.", n)
}

// writeCaptured writes n captured rows in the gateway's format, plus a
// repeat of the first question under another id.
func writeCaptured(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		row := map[string]any{"id": fmt.Sprintf("gw-%03d", i), "time": "2026-12-04T22:50:00.123Z", "query": capturedQuestion(i),
			"model": "gemini-2.5-flash", "policy": "Standard_Query", "key_id": "team-a", "router_version": "", "source": "captured"}
		if i%3 == 0 {
			row["score"] = 0.25
			row["messages"] = []map[string]string{{"role": "user", "content": capturedQuestion(i)}}
		}
		line, _ := json.Marshal(row)
		b.Write(line)
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, `{"id":"gw-repeat","query":%q,"source":"captured"}`+"\n", capturedQuestion(0))
	p := filepath.Join(dir, "captured.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOracleCapturedNeedsANoGoldJudge(t *testing.T) {
	dir := t.TempDir()
	in := writeCaptured(t, dir, 4)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "captured traffic, which has no gold answers: pass --judge pairwise"},
		{[]string{"--judge", "pairwise", "--judge-model", "rule"}, "--judge pairwise needs an LLM judge"},
		{[]string{"--judge", "best"}, `--judge "best": want gold, pairwise or reference`},
		{[]string{"--judge", "pairwise", "--input-format", "csv"}, `--input-format "csv"`},
		{[]string{"--judge", "pairwise", "--models", "gemini-2.5-flash,gpt-4o,gemini-2.5-pro"}, "compare exactly the cheap and the strong model"},
	} {
		args := append([]string{"oracle", "--input-file", in, "--output-dir", filepath.Join(dir, "gen")}, tc.args...)
		code, _, stderr := runCmdEnv(t, map[string]string{"GEMINI_API_KEY": "k", "OPENAI_API_KEY": "k"}, args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}

// oracle --judge pairwise on a captured file: format detected, repeats
// dropped, the strong model judges by default, a resume with another judge
// is refused and one with the same judge pays nothing.
func TestOraclePairwiseOnCapturedTraffic(t *testing.T) {
	useFastRetryRegistry(t)
	srv := fake.New(t, fake.WithAnswer(trafficAnswer), fake.WithAPIKey("k-secret-789"))
	dir := t.TempDir()
	in := writeCaptured(t, dir, 8)
	out := filepath.Join(dir, "gen")
	vars := map[string]string{"GEMINI_API_KEY": "k-secret-789", "GEMINI_BASE_URL": srv.URL}
	args := []string{"oracle", "--input-file", in, "--output-dir", out, "--judge", "pairwise", "--concurrency", "4"}
	code, stdout, stderr := runCmdEnv(t, vars, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"8 of 8 questions labelled", "judge pairwise:gemini-2.5-pro", "tie 4, strong better 2, cheap better 0, both poor 2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if st := srv.Stats(); st.Served != 32 {
		t.Fatalf("served %d calls, want 32 (8 questions × 2 answers + 2 judge calls)", st.Served)
	}
	for _, c := range srv.Calls() {
		if cliPairRE.MatchString(c.LastUser) && (c.Model != "gemini-2.5-pro" || strings.Contains(c.LastUser, "gemini")) {
			t.Fatalf("judge call to %s:\n%s", c.Model, c.LastUser)
		}
	}
	rows, err := oracle.ReadDataset(filepath.Join(out, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Benchmark != dataset.BenchmarkCaptured || r.Pairwise == nil || r.Pairwise.Judge != "pairwise:gemini-2.5-pro" {
			t.Fatalf("row %+v", r)
		}
	}

	code, _, stderr = runCmdEnv(t, vars, append(slices.Clone(args[:len(args)-4]), "--judge", "reference")...)
	if code != 1 || !strings.Contains(stderr, "use another --output-dir") {
		t.Fatalf("resume with --judge reference: exit %d, %s", code, stderr)
	}
	code, stdout, stderr = runCmdEnv(t, vars, args...)
	if code != 0 || !strings.Contains(stdout, "0 made, 32 resumed") || srv.Stats().Served != 32 {
		t.Fatalf("resume: exit %d, served %d\n%s%s", code, srv.Stats().Served, stdout, stderr)
	}
	assertNoSecret(t, "k-secret-789", out, stdout, stderr)
}

// prepare and train take oracle rows from several sources at once: a
// recorded benchmark (gold-graded) and captured traffic (pairwise).
func TestPrepareTrainMixedSources(t *testing.T) {
	useFastRetryRegistry(t)
	srv := fake.New(t, fake.WithAnswer(trafficAnswer), fake.WithAPIKey("k"))
	dir := t.TempDir()
	vars := map[string]string{"GEMINI_API_KEY": "k", "GEMINI_BASE_URL": srv.URL}
	bench, traffic := filepath.Join(dir, "bench"), filepath.Join(dir, "traffic")
	if code, _, stderr := runCmdEnv(t, vars, "oracle", "--benchmark", "mmlu", "--limit", "120", "--output-dir", bench); code != 0 {
		t.Fatalf("benchmark oracle: %s", stderr)
	}
	if code, _, stderr := runCmdEnv(t, vars, "oracle", "--input-file", writeCaptured(t, dir, 60), "--judge", "pairwise", "--output-dir", traffic); code != 0 {
		t.Fatalf("captured oracle: %s", stderr)
	}
	a, b := filepath.Join(bench, oracle.DatasetFile), filepath.Join(traffic, oracle.DatasetFile)
	train := filepath.Join(dir, "training")
	code, stdout, stderr := runCmdEnv(t, vars, "prepare", "--oracle-file", a+","+b, "--output-dir", train)
	if code != 0 || !strings.Contains(stdout, "prepared 180 SFT rows") {
		t.Fatalf("prepare: exit %d\n%s%s", code, stdout, stderr)
	}
	sft, err := jsonl.Read[map[string]any](filepath.Join(train, "sft_train.jsonl"))
	if err != nil || len(sft) != 180 {
		t.Fatalf("%d SFT rows, %v", len(sft), err)
	}
	code, stdout, stderr = runCmdEnv(t, vars, "train", "--sft-data-path", filepath.Join(train, "sft_train.jsonl"),
		"--dpo-data-path", filepath.Join(train, "dpo_train.jsonl"), "--output", filepath.Join(dir, "model"), "--sft-epochs", "2")
	if code != 0 || !strings.Contains(stdout, "saved classifier model") {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
	// The same file twice shares every id: refused, naming both.
	code, _, stderr = runCmdEnv(t, vars, "prepare", "--oracle-file", b+","+b, "--output-dir", train)
	if code != 1 || !strings.Contains(stderr, "is also in") {
		t.Fatalf("duplicate ids: exit %d %s", code, stderr)
	}
}

// The whole loop on captured traffic alone, against the fake: import,
// split, oracle (pairwise), prepare, train, calibrate, eval (pairwise on
// the test split); a second run is all skipped and calls nothing.
func TestPipelineOnCapturedTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	srv := fake.New(t, fake.WithAnswer(trafficAnswer), fake.WithAPIKey("test-key"))
	root := t.TempDir()
	in := writeCaptured(t, root, 160)
	cfg := filepath.Join(root, "models.yaml")
	yaml := fmt.Sprintf(`models:
  gemini-2.5-flash: {provider: gemini, base_url: %q, price: {input: 0.30, output: 2.50}}
  gemini-2.5-pro: {provider: gemini, base_url: %q, price: {input: 1.25, output: 10.00}}
`, srv.URL, srv.URL)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GEMINI_API_KEY": "test-key"}
	args := pipelineArgs(root, "--input-file", in, "--judge", "pairwise", "--config", cfg, "--routers", "random")
	code, stdout, stderr := runWithEnv(t, vars, args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	assertStagesRan(t, stderr, "import", "split", "oracle", "prepare", "train", "calibrate", "eval")
	if !strings.Contains(stdout, "labels are judge-derived, not gold") {
		t.Errorf("eval does not say its labels are judge-derived:\n%s", stdout)
	}
	cmp := readComparison(t, filepath.Join(root, "results"))
	if cmp.Benchmark != dataset.BenchmarkCaptured || cmp.Models.Judge != "pairwise:gemini-2.5-pro" || cmp.N == 0 || len(cmp.Routers) == 0 {
		t.Fatalf("comparison: benchmark %q judge %q n %d", cmp.Benchmark, cmp.Models.Judge, cmp.N)
	}
	// Strong-only is judged good on everything but the riddles (both poor);
	// cheap-only also loses the proofs.
	cheapOnly, strongOnly := cmp.Baselines[0], cmp.Baselines[1]
	if !(strongOnly.Accuracy > cheapOnly.Accuracy) || !(cmp.Routers[0].APGR.Valid()) {
		t.Errorf("cheap-only %v, strong-only %v, router APGR %v", cheapOnly.Accuracy, strongOnly.Accuracy, cmp.Routers[0].APGR)
	}
	rows, err := oracle.ReadDataset(filepath.Join(root, "data", "generated", oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := map[bool]string{true: judge.OutcomeStrongBetter, false: ""}[strings.HasPrefix(r.Query, "Prove")]
		if want != "" && r.Pairwise.Outcome != want {
			t.Fatalf("row %s: outcome %s, want %s", r.ID, r.Pairwise.Outcome, want)
		}
	}

	calls := srv.Stats().Calls
	code, _, stderr = runWithEnv(t, vars, args...)
	if code != 0 {
		t.Fatalf("second run exit %d: %s", code, stderr)
	}
	for s, status := range stageStatuses(stderr) {
		if status != "skipped" {
			t.Errorf("second run: stage %s %s", s, status)
		}
	}
	if again := srv.Stats().Calls; again != calls {
		t.Errorf("second run made %d upstream calls, want 0", again-calls)
	}
}

// --judge reference: one judge call per question, the strong answer in the
// gold's place and CORRECT by construction.
func TestOracleReferenceOnCapturedTraffic(t *testing.T) {
	useFastRetryRegistry(t)
	srv := fake.New(t, fake.WithAnswer(trafficAnswer), fake.WithAPIKey("k"))
	dir := t.TempDir()
	out := filepath.Join(dir, "gen")
	code, stdout, stderr := runCmdEnv(t, map[string]string{"GEMINI_API_KEY": "k", "GEMINI_BASE_URL": srv.URL},
		"oracle", "--input-file", writeCaptured(t, dir, 6), "--output-dir", out, "--judge", "reference", "--judge-model", "gemini-2.5-flash")
	if code != 0 || !strings.Contains(stdout, "cheap answer graded against the strong answer") || !strings.Contains(stdout, "judge reference:gemini-2.5-flash") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if served := srv.Stats().Served; served != 18 {
		t.Fatalf("served %d calls, want 18 (2 answers + 1 judge call per question)", served)
	}
	rows, err := oracle.ReadDataset(filepath.Join(out, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Strong.Grade != oracle.Correct || r.Strong.GradeMethod != judge.MethodReference || r.Cell != "CORRECT/CORRECT" || r.Pairwise != nil {
			t.Fatalf("row %+v", r)
		}
	}
	for _, c := range srv.Calls() {
		if strings.Contains(c.LastUser, "Gold target:\n") && (c.Model != "gemini-2.5-flash" || !strings.Contains(c.LastUser, "Gold target:\ndeep: ")) {
			t.Fatalf("reference judge call to %s:\n%s", c.Model, c.LastUser)
		}
	}
}
