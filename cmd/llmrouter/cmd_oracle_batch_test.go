package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/jsonl"
	"github.com/llmrouter/llmrouter/internal/oracle"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

func writeCapitals(t *testing.T, path string, n int) []dataset.Item {
	t.Helper()
	items := capitals(n)
	if err := jsonl.WriteAtomic(path, items); err != nil {
		t.Fatal(err)
	}
	return items
}

func readSummary(t *testing.T, dir string) oracle.Summary {
	t.Helper()
	var sum oracle.Summary
	b, err := os.ReadFile(filepath.Join(dir, oracle.SummaryFile))
	if err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary in %s unreadable: %v", dir, err)
	}
	return sum
}

// TestOracleBatchSurvivesSIGKILL kills `oracle --batch` while its answer
// jobs are pending, restarts it, kills it again while its judge jobs are
// pending, and checks that each restart polled the journaled jobs: no
// request was ever submitted twice, the answering models' jobs were created
// once, and the run finished with the labels of an online run at half its
// cost.
func TestOracleBatchSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns subprocesses")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "items.jsonl")
	items := writeCapitals(t, in, 12)
	bs, err := fake.StartBatch("", fake.WithBatchAnswer(crashAnswer),
		fake.WithBatchPlan(func(int) fake.BatchPlan { return fake.BatchPlan{Hold: true, Polls: 2} }))
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	srv, err := fake.Start("", fake.WithAnswer(crashAnswer))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	oracleRun := func(out, base string, batch bool) *exec.Cmd {
		args := []string{"oracle", "--input-file", in, "--output-dir", out,
			"--cheap-model", "gemini-2.5-flash", "--strong-model", "gemini-2.5-pro", "--judge-model", "gemini-2.5-flash"}
		if batch {
			args = append(args, "--batch", "--batch-window", "300ms", "--batch-poll", "20ms")
		}
		return geminiChild(base, args...)
	}
	ref := filepath.Join(dir, "online")
	if out, err := oracleRun(ref, srv.URL, false).CombinedOutput(); err != nil {
		t.Fatalf("online run: %v\n%s", err, out)
	}

	out := filepath.Join(dir, "batch")
	bjournal := filepath.Join(out, oracle.BatchJournalFile)
	journaled := func() int {
		b, _ := os.ReadFile(bjournal)
		return bytes.Count(b, []byte(`"event":"submitted"`))
	}
	// Kill 1: both answer jobs pending. Kill 2: the answers are in, the
	// judge jobs pending.
	for kill, jobs := range []int{2, 3} {
		cmd := oracleRun(out, bs.URL, true)
		stderr := startChild(t, cmd)
		deadline := time.Now().Add(30 * time.Second)
		held := false
		for journaled() < jobs || bs.Polls() < 2 {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("run %d: jobs never submitted and polled: %+v\n%s", kill, bs.Jobs(), stderr.String())
			}
			if js := bs.Jobs(); kill == 1 && !held && len(js) == 2 && js[0].State != "" && js[1].State != "" {
				bs.Hold() // the answer jobs are done: hold the judge jobs
				held = true
			}
			time.Sleep(2 * time.Millisecond)
		}
		_ = cmd.Process.Kill() // SIGKILL while jobs are pending
		_ = cmd.Wait()
		js := bs.Jobs()
		if len(js) < jobs || js[len(js)-1].State != "" {
			t.Fatalf("run %d killed with jobs %+v, want %d or more, the last unfinished", kill, js, jobs)
		}
		bs.Release()
	}
	if b, err := oracleRun(out, bs.URL, true).CombinedOutput(); err != nil {
		t.Fatalf("resumed run: %v\n%s", err, b)
	}
	if calls := persisted(t, filepath.Join(out, oracle.JournalFile)); len(calls) != 4*len(items) {
		t.Fatalf("%d calls journaled, want %d", len(calls), 4*len(items))
	}
	perModel := map[string]int{}
	for _, j := range bs.Jobs() {
		perModel[j.Model]++
		if j.State != fake.BatchSucceeded {
			t.Errorf("job %+v did not succeed", j)
		}
	}
	// Flash answers (one job) and judges (one or two jobs, as the answer
	// jobs end together or apart); Pro only answers.
	if perModel["gemini-2.5-pro"] != 1 || perModel["gemini-2.5-flash"] < 2 || perModel["gemini-2.5-flash"] > 3 {
		t.Fatalf("jobs per model %v: the resumed run must poll the journaled answer jobs, not create new ones", perModel)
	}
	subs := bs.Submissions()
	if len(subs) != 4*len(items) {
		t.Fatalf("%d distinct requests submitted, want %d (2 answers and 2 grades per question)", len(subs), 4*len(items))
	}
	for k, n := range subs {
		if n != 1 {
			t.Errorf("request %s was submitted in %d jobs: paid twice", k, n)
		}
	}
	compareToOnline(t, ref, out, len(items))
}

// compareToOnline checks that a --batch run labelled every question as the
// online run did, at exactly the batch discount (0.5) of its cost.
func compareToOnline(t *testing.T, online, batched string, n int) {
	t.Helper()
	rows, err := oracle.ReadDataset(filepath.Join(batched, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	refRows, err := oracle.ReadDataset(filepath.Join(online, oracle.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || len(refRows) != n {
		t.Fatalf("%d batched and %d online rows, want %d", len(rows), len(refRows), n)
	}
	for i := range rows {
		a, b := rows[i], refRows[i]
		if a.Policy != b.Policy || a.Cell != b.Cell || a.Cheap.Answer != b.Cheap.Answer || a.Strong.Answer != b.Strong.Answer ||
			a.Strong.ThinkingTokens != b.Strong.ThinkingTokens || a.Cheap.InputTokens != b.Cheap.InputTokens {
			t.Fatalf("row %d differs from the online run:\n%+v\n%+v", i, a, b)
		}
		if math.Abs(a.Strong.Cost-b.Strong.Cost/2) > 1e-12 {
			t.Fatalf("row %d strong cost %v, want half of online %v", i, a.Strong.Cost, b.Strong.Cost)
		}
	}
	sum, refSum := readSummary(t, batched), readSummary(t, online)
	if !sum.Batch || refSum.Batch {
		t.Fatalf("summary batch flags: batched %v, online %v", sum.Batch, refSum.Batch)
	}
	if refSum.TotalCost <= 0 || math.Abs(sum.TotalCost/refSum.TotalCost-0.5) > 1e-9 {
		t.Fatalf("total cost %v batched vs %v online: want a ratio of 0.5", sum.TotalCost, refSum.TotalCost)
	}
}

// realisticAnswer gives answers and judge replies the sizes of real ones:
// Flash writes ~150 words after ~300 thinking tokens, Pro ~250 words after
// ~900; the pairwise judge (Pro) thinks ~400 tokens and replies one letter.
func realisticAnswer(req *fake.Request) fake.Reply {
	q := req.LastUser()
	if strings.HasPrefix(q, "You compare two answers") {
		return fake.Reply{Text: "C", ThinkingTokens: 400}
	}
	words, think := 150, 300
	if req.Model == "gemini-2.5-pro" {
		words, think = 250, 900
	}
	return fake.Reply{Text: strings.TrimSpace(strings.Repeat("word ", words)) + " (" + q[:min(len(q), 24)] + ")", ThinkingTokens: think}
}

// TestOracleBatchCostFigure labels captured queries with the pairwise judge
// online and with --batch against the fakes and compares the summaries'
// costs. LLMROUTER_BATCH_FIGURE_N sets the number of queries (default 30;
// the figure in the README uses 1000).
func TestOracleBatchCostFigure(t *testing.T) {
	n := 30
	if v := os.Getenv("LLMROUTER_BATCH_FIGURE_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("LLMROUTER_BATCH_FIGURE_N=%q", v)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "captured.jsonl")
	var rows []dataset.CapturedRow
	for i := range n {
		rows = append(rows, dataset.CapturedRow{ID: fmt.Sprintf("q%04d", i),
			Query: fmt.Sprintf("Captured query %d: explain, with an example, how a hash map handles collisions and what that costs when the table is nearly full", i)})
	}
	if err := jsonl.WriteAtomic(in, rows); err != nil {
		t.Fatal(err)
	}
	srv := fake.New(t, fake.WithAnswer(realisticAnswer))
	bs := fake.NewBatch(t, fake.WithBatchAnswer(realisticAnswer))
	run := func(out, base string, batch bool) {
		args := []string{"oracle", "--input-file", in, "--output-dir", out, "--judge", "pairwise",
			"--cheap-model", "gemini-2.5-flash", "--strong-model", "gemini-2.5-pro", "--limit", "0"}
		if batch {
			args = append(args, "--batch", "--batch-window", "200ms", "--batch-poll", "10ms")
		}
		code, _, stderr := runCmdQuiet(map[string]string{"GEMINI_API_KEY": "test-key", "GEMINI_BASE_URL": base}, args...)
		if code != 0 {
			t.Fatalf("oracle %v: exit %d\n%s", args, code, stderr)
		}
	}
	online, batched := filepath.Join(dir, "online"), filepath.Join(dir, "batch")
	run(online, srv.URL, false)
	run(batched, bs.URL, true)
	compareToOnline(t, online, batched, n)
	so, sb := readSummary(t, online), readSummary(t, batched)
	if calls := len(srv.Calls()); calls != 4*n {
		t.Fatalf("online run made %d calls, want %d (2 answers and 2 pairwise judge calls per query)", calls, 4*n)
	}
	t.Logf("%d captured queries, pairwise judge: online total $%.4f (judge $%.4f), --batch total $%.4f (judge $%.4f), ratio %.3f; %d batch jobs",
		n, so.TotalCost, so.Judge.CostUSD, sb.TotalCost, sb.Judge.CostUSD, sb.TotalCost/so.TotalCost, len(bs.Jobs()))
}

// TestOracleBatchMixedProviders: an OpenAI-compatible cheap model and a
// Gemini strong model each answer through their own batch API, and a
// model without batch_discount is refused before anything is paid.
func TestOracleBatchMixedProviders(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "items.jsonl")
	items := writeCapitals(t, in, 5)
	bs := fake.NewBatch(t, fake.WithBatchAnswer(crashAnswer))
	cfg := filepath.Join(dir, "models.yaml")
	yaml := fmt.Sprintf("models:\n"+
		"  mini-batch: {provider: openai, upstream_model: gpt-4o-mini, base_url: %s, api_key_env: OPENAI_API_KEY, price: {input: 0.15, output: 0.6}, batch_discount: 0.5}\n"+
		"  mini-online: {provider: openai, upstream_model: gpt-4o-mini, base_url: %s, api_key_env: OPENAI_API_KEY, price: {input: 0.15, output: 0.6}}\n",
		bs.OpenAIBase, bs.OpenAIBase)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GEMINI_API_KEY": "test-key", "GEMINI_BASE_URL": bs.URL, "OPENAI_API_KEY": "test-key"}
	out := filepath.Join(dir, "out")
	args := []string{"oracle", "--input-file", in, "--output-dir", out, "--config", cfg, "--cheap-model", "mini-batch",
		"--strong-model", "gemini-2.5-pro", "--judge-model", "gemini-2.5-flash", "--batch", "--batch-window", "100ms", "--batch-poll", "5ms"}
	code, stdout, stderr := runCmdQuiet(vars, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "costs at the batch price (--batch)") {
		t.Errorf("summary does not say batch:\n%s", stdout)
	}
	protocols := map[fake.Protocol]int{}
	for _, j := range bs.Jobs() {
		protocols[j.Protocol]++
	}
	if protocols[fake.OpenAI] != 1 || protocols[fake.Gemini] < 2 {
		t.Fatalf("jobs by protocol %v: want the cheap answers in one OpenAI job, the rest on Gemini", protocols)
	}
	if sum := readSummary(t, out); sum.Rows != len(items) || !sum.Batch || sum.Cheap.CostUSD <= 0 {
		t.Fatalf("summary %+v", sum)
	}
	args[8] = "mini-online"
	code, _, stderr = runCmdQuiet(vars, append(args[:len(args):len(args)], "--output-dir", filepath.Join(dir, "refused"))...)
	if code == 0 || !strings.Contains(stderr, "batch_discount") {
		t.Fatalf("a model without batch_discount: exit %d\n%s", code, stderr)
	}
}

// TestOracleBatchRecordedBenchmark: --batch on the offline replay models
// says plainly that recorded benchmarks have no batch API, not that a
// price is missing, and nothing is written but the (empty) batch journal.
func TestOracleBatchRecordedBenchmark(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCmdQuiet(nil, "oracle", "--benchmark", "mmlu", "--limit", "3", "--output-dir", out, "--batch")
	if code == 0 || !strings.Contains(stderr, "recorded benchmarks have no batch API") || strings.Contains(stderr, "batch_discount") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, oracle.DatasetFile)); !os.IsNotExist(err) {
		t.Fatalf("a refused run wrote a dataset: %v", err)
	}
}
